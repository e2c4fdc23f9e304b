/**
 * Real-time alert webhook over a real socket: an alert raised on the bus reaches the receiver
 * HMAC-signed (verifiable with the shared secret, refused with any other), a receiver outage is
 * ridden out by retries, and a configured URL without a secret sends nothing (never unsigned).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createManualClock } from '../../src/lib/clock/index.js';
import { SIGNATURE_HEADER, verifyWebhookSignature, WEBHOOK_ID_HEADER } from '../../src/lib/notify/webhook-signature.js';
import { createDetectionCapability, type DetectionCapability, type DetectionRule } from '../../src/modules/detection/index.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
const SECRET = 'webhook-e2e-secret-0123456789';
const RULES: DetectionRule[] = [{
  id: 'test.webhook', version: 3, kind: 'single', title: 'Webhook probe', severity: 'low', windowMs: 60_000,
  match: { types: ['test.webhook'] }, groupBy: 'actor',
}];

let platform: TestPlatform;
let receiver: Server;
let url = '';
const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
/** Status codes the receiver answers with, in order; then 204. */
const answers: number[] = [];

beforeAll(async () => {
  platform = await startTestPlatform({}, { clock });
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => { body += chunk; });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = answers.shift() ?? 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
});
afterAll(async () => {
  await platform.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

/** A second detection capability on the platform's core, with the webhook configured. */
function detectionWithWebhook(secret: string | undefined): DetectionCapability {
  return createDetectionCapability(
    { ...platform, metrics: new Registry(), config: { ...platform.config, notify: { ...platform.config.notify, alertWebhookUrl: url } } },
    { rules: RULES, ...(secret ? { webhookSecret: secret } : {}), webhook: { sleep: async () => undefined, baseDelayMs: 1 } },
  );
}

describe('alert webhook', () => {
  it('delivers each alert signed, retrying through a receiver outage, and sends nothing without a secret', async () => {
    const detection = detectionWithWebhook(SECRET);
    answers.push(503, 500);
    platform.events.emit({ type: 'test.webhook', actor: 'u-hook', outcome: 'info' });
    await detection.close();
    expect(received).toHaveLength(3);
    const last = received[2]!;
    const header = last.headers[SIGNATURE_HEADER] as string;
    expect(verifyWebhookSignature({ secret: SECRET, header, body: last.body, nowMs: clock.now() }).ok).toBe(true);
    expect(verifyWebhookSignature({ secret: 'wrong-secret', header, body: last.body, nowMs: clock.now() }).ok).toBe(false);
    const payload = JSON.parse(last.body) as { type: string; alert: { id: string; ruleId: string; ruleVersion: number; groupKey: string } };
    expect(payload).toMatchObject({ type: 'alert.raised', alert: { ruleId: 'test.webhook', ruleVersion: 3, groupKey: 'u-hook' } });
    expect(last.headers[WEBHOOK_ID_HEADER]).toBe(payload.alert.id);

    const unsigned = detectionWithWebhook(undefined);
    platform.events.emit({ type: 'test.webhook', actor: 'u-nosecret', outcome: 'info' });
    await unsigned.close();
    expect(received).toHaveLength(3);
  });
});
