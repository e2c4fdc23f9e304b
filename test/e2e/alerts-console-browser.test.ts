/**
 * The console's live alerts panel in real Chromium (playwright-core, /usr/bin/chromium) against
 * the running HTTPS server under its strict CSP: an admin signs in with password and TOTP, an
 * alert raised on the server appears without a reload (server-sent events), and acknowledging
 * it from the page is recorded and shown.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createManualClock } from '../../src/lib/clock/index.js';
import type { DetectionCapability } from '../../src/modules/detection/index.js';
import { base32Decode, totp } from '../../src/modules/mfa/index.js';
import { STRONG_PASSWORD } from '../support/identity.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { createPrivileged, WITHOUT_ADAPTIVE_LIMITS } from './alerts-support.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
let platform: TestPlatform;
let browser: Browser;
let origin: string;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const port = await freePort();
  origin = `https://localhost:${port}`;
  platform = await startTestPlatform({ Q2_PORT: String(port), Q2_PUBLIC_URL: origin }, { clock, capabilities: WITHOUT_ADAPTIVE_LIMITS });
  await platform.listen(port);
  // Trust exactly the development certificate (by its SPKI hash), as in passkey-browser.test.ts.
  const cert = new X509Certificate(readFileSync(path.join(platform.dataDir, 'tls', 'cert.pem')));
  const spki = createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--ignore-certificate-errors-spki-list=${spki}`,
      '--host-resolver-rules=MAP localhost 127.0.0.1'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

describe('live alerts in the console', () => {
  it('shows an alert raised on the server without a reload, and acknowledges it', async () => {
    const admin = await createPrivileged(platform, clock, ['admin']);
    clock.advance(30_000);
    const code = totp(base32Decode(admin.secret)!, clock.now(), { algorithm: 'SHA1', digits: 6, periodS: 30, t0S: 0 });
    const context = await browser.newContext();
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) blocked.push(m.text()); });

    await page.goto(`${origin}/console/`);
    await page.fill('#email', admin.email);
    await page.fill('#password', STRONG_PASSWORD);
    await page.click('#login button[type=submit]');
    await page.locator('#status', { hasText: 'Second factor required' }).waitFor({ timeout: 15_000 });
    await page.fill('#mfa-code', code);
    await page.click('#mfa button[type=submit]');
    await page.locator('#status', { hasText: 'Signed in with a second factor' }).waitFor({ timeout: 15_000 });
    await page.locator('#stream-state', { hasText: 'Live' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('#alerts li').count()).toBe(0);

    // Raised on the server side while the page just sits there.
    platform.events.emit({ type: 'auth.refresh.reused', actor: 'victim-in-browser', target: 'sid', outcome: 'denied', ip: '203.0.113.50' });
    const row = page.locator('#alerts li', { hasText: 'victim-in-browser' });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator('strong').textContent()).toBe('CRITICAL Refresh token reused');

    await row.locator('button.ack').click();
    await row.locator('.acked-by', { hasText: `acknowledged by ${admin.userId}` }).waitFor({ timeout: 15_000 });
    const detection = platform.capabilities.find((c) => c.name === 'detection') as DetectionCapability;
    const stored = (await detection.alerts.list({ limit: 200 })).filter((a) => a.groupKey === 'victim-in-browser');
    expect(stored.map((a) => a.ackedBy)).toEqual([admin.userId]);

    // Alert fields are shown as text, never parsed as markup (stored XSS through an event field).
    const hostile = '<img src=x id=injected>';
    platform.events.emit({ type: 'auth.refresh.reused', actor: hostile, target: 'sid', outcome: 'denied', ip: '203.0.113.51' });
    await page.locator('#alerts li', { hasText: hostile }).waitFor({ timeout: 15_000 });
    expect(await page.locator('#injected').count()).toBe(0);
    expect(blocked).toEqual([]);
    await context.close();
  });
});
