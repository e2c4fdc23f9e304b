/** The SMS webhook sender against a local HTTP receiver that verifies every signature. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createManualClock } from '../clock/index.js';
import { startSmsReceiver, type SmsReceiver } from '../../../test/support/sms-receiver.js';
import { createWebhookSmsSender } from './sms-webhook.js';

const SECRET = 'sms-webhook-secret-for-tests-0123';

describe('SMS webhook sender', () => {
  const clock = createManualClock(Date.UTC(2026, 0, 15, 12, 0, 0));
  let receiver: SmsReceiver;
  beforeAll(async () => {
    receiver = await startSmsReceiver(SECRET, () => clock.now());
  });
  afterAll(async () => receiver?.close());

  it('POSTs the message as JSON, signed so the receiver can verify it', async () => {
    const sms = createWebhookSmsSender({ url: receiver.url, secret: SECRET, clock });
    await sms.send({ to: '+4915112345678', text: 'Q2 sign-in code: 123456', purpose: 'mfa' });
    const got = receiver.received.at(-1)!;
    expect(got.verdict).toEqual({ ok: true, timestampS: Math.floor(clock.now() / 1000) });
    expect(got.json).toMatchObject({ to: '+4915112345678', text: 'Q2 sign-in code: 123456', purpose: 'mfa', createdAt: clock.now() });
    expect(got.webhookId).toBe(got.json.id);
    expect(got.json.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('fails with NOTIFY_DELIVERY_FAILED when the provider rejects (here: wrong secret → 401)', async () => {
    const sms = createWebhookSmsSender({ url: receiver.url, secret: `${SECRET}-wrong`, clock });
    const error = await sms.send({ to: '+4915112345678', text: 't', purpose: 'mfa' }).catch((e: unknown) => e);
    expect(receiver.received.at(-1)!.verdict).toEqual({ ok: false, reason: 'invalid' });
    expect(error).toMatchObject({ code: 'NOTIFY_DELIVERY_FAILED', status: 502, detail: 'The SMS could not be delivered.' });
  });

  it('fails on 5xx answers and on unreachable providers', async () => {
    receiver.status = 503;
    const sms = createWebhookSmsSender({ url: receiver.url, secret: SECRET, clock });
    await expect(sms.send({ to: '+4915112345678', text: 't', purpose: 'mfa' })).rejects.toMatchObject({ code: 'NOTIFY_DELIVERY_FAILED' });
    receiver.status = 202;
    const nowhere = createWebhookSmsSender({ url: 'http://127.0.0.1:1/sms', secret: SECRET, clock, timeoutMs: 2_000 });
    await expect(nowhere.send({ to: '+4915112345678', text: 't', purpose: 'mfa' })).rejects.toMatchObject({ code: 'NOTIFY_DELIVERY_FAILED' });
  });

  it('does not follow redirects (the signed body carries a code)', async () => {
    const hits: string[] = [];
    const redirector = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(307, { location: receiver.url }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const before = receiver.received.length;
    const sms = createWebhookSmsSender({ url: `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/sms`, secret: SECRET, clock });
    await expect(sms.send({ to: '+4915112345678', text: 'code 111111', purpose: 'mfa' })).rejects.toMatchObject({ code: 'NOTIFY_DELIVERY_FAILED' });
    expect(hits).toEqual(['/sms']);
    expect(receiver.received.length).toBe(before);
    await new Promise<void>((resolve) => redirector.close(() => resolve()));
  });

  it('refuses non-E.164 numbers, clear-text non-loopback URLs and short secrets', async () => {
    const sms = createWebhookSmsSender({ url: receiver.url, secret: SECRET, clock });
    for (const to of ['015112345678', '+0151', '+49 151 1234', '+4915112345678\n']) {
      await expect(sms.send({ to, text: 't', purpose: 'mfa' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(() => createWebhookSmsSender({ url: 'http://sms.example.test/hook', secret: SECRET, clock })).toThrow(TypeError);
    expect(() => createWebhookSmsSender({ url: 'https://sms.example.test/hook', secret: 'short', clock })).toThrow(TypeError);
    expect(() => createWebhookSmsSender({ url: 'https://sms.example.test/hook', secret: SECRET, clock })).not.toThrow();
  });
});
