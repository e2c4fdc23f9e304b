/**
 * A passkey registered and used to sign in from real Chromium (playwright-core, /usr/bin/chromium)
 * against the running HTTPS server, with a user-verifying virtual authenticator from the DevTools
 * WebAuthn domain. The passkey login counts as two factors (amr hwk+user).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { post, STRONG_PASSWORD, uniqueEmail } from '../support/identity.js';

/**
 * Waits through Playwright's own selector engine: the console's CSP forbids eval, which is what
 * page.waitForFunction with a string would need (the CSP at work).
 */
async function waitStatus(page: Page, text: RegExp): Promise<void> {
  await page.locator('#status', { hasText: text }).waitFor({ timeout: 15_000 });
}

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
  platform = await startTestPlatform({ Q2_PORT: String(port), Q2_PUBLIC_URL: origin });
  await platform.listen(port);
  // Trust exactly our development certificate (by its SPKI hash), as a pinned client would:
  // the page is then a secure context with a valid certificate, which WebAuthn requires.
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

describe('passkeys in Chromium', () => {
  it('registers a passkey after a password login, then signs in with it alone as two factors', async () => {
    const email = uniqueEmail('passkey');
    expect((await post(platform.app, '/v1/auth/register', { email, password: STRONG_PASSWORD })).statusCode).toBe(201);

    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    const response = await page.goto(`${origin}/console/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.fill('#email', email);
    await page.fill('#password', STRONG_PASSWORD);
    await page.click('#login button[type=submit]');
    await waitStatus(page, /./);
    expect(await page.textContent('#status')).toBe('Signed in with password');
    // The session lives in __Host- cookies no script can read (HttpOnly), sent same-site only.
    const cookies = await context.cookies(origin);
    expect(cookies.map((c) => c.name).sort()).toEqual(['__Host-q2_at', '__Host-q2_rt']);
    for (const c of cookies) expect(c).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).toBe('');

    await page.click('#passkey-register');
    await waitStatus(page, /Passkey/);
    expect(await page.textContent('#status')).toBe('Passkey added');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);

    // A fresh page: nothing in memory, the passkey alone signs in.
    await page.reload();
    await page.click('#passkey-login');
    await waitStatus(page, /passkey/);
    expect(await page.textContent('#status')).toBe('Signed in with passkey');
    expect(await page.textContent('#who')).toBe(`Signed in as ${email}`);
    const { credentials: after } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(after[0]!.signCount).toBeGreaterThan(0);

    const audit: string[] = [];
    platform.events.subscribe('test', (e) => { if (e.type === 'auth.login') audit.push(JSON.stringify(e.details.amr)); });
    await page.reload();
    await page.click('#passkey-login');
    await waitStatus(page, /passkey/);
    await platform.events.drain();
    expect(audit).toContain(JSON.stringify(['hwk', 'user', 'mfa']));
    await context.close();
  });

  it('refuses a passkey sign-in when the authenticator does not verify the user', async () => {
    const email = uniqueEmail('nouv');
    expect((await post(platform.app, '/v1/auth/register', { email, password: STRONG_PASSWORD })).statusCode).toBe(201);
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await page.goto(`${origin}/console/`);
    await page.fill('#email', email);
    await page.fill('#password', STRONG_PASSWORD);
    await page.click('#login button[type=submit]');
    await waitStatus(page, /^Signed in with password$/);
    await page.click('#passkey-register');
    await waitStatus(page, /Passkey/);
    expect(await page.textContent('#status')).toBe('Passkey added');

    // The user is no longer verified (e.g. biometric failed): the ceremony must fail. The server's
    // own refusal of an assertion without the UV flag is proven in test/attacks/mfa-*.
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    await page.reload();
    await page.click('#passkey-login');
    await waitStatus(page, /passkey/i);
    expect(await page.textContent('#status')).toMatch(/^Passkey sign-in failed/);
    expect(await page.textContent('#who')).toBe('Signed out');
    await context.close();
  });
});
