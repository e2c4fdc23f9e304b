/** Webhook signatures: HMAC-SHA256 over "<t>.<body>", checked in constant time with a tolerance. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { signWebhook, verifyWebhookSignature, webhookEndpoint } from './webhook-signature.js';

const secret = 'whsec-test-0123456789abcdef';
const body = JSON.stringify({ id: 'x', to: '+4915112345678', text: 'hi' });
const now = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('webhook signatures', () => {
  it('signs t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>, checkable independently', () => {
    const header = signWebhook(secret, body, now);
    const t = Math.floor(now / 1000);
    const independent = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(header).toBe(`t=${t},v1=${independent}`);
    expect(verifyWebhookSignature({ secret, header, body, nowMs: now })).toEqual({ ok: true, timestampS: t });
  });

  it('rejects a changed body, a wrong secret and a re-dated signature', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhookSignature({ secret, header, body: body.replace('hi', 'ho'), nowMs: now })).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyWebhookSignature({ secret: `${secret}x`, header, body, nowMs: now })).toEqual({ ok: false, reason: 'invalid' });
    const redated = header.replace(/t=\d+/, `t=${Math.floor(now / 1000) + 1}`);
    expect(verifyWebhookSignature({ secret, header: redated, body, nowMs: now })).toEqual({ ok: false, reason: 'invalid' });
  });

  it('rejects signatures older or newer than the tolerance (default 5 min)', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhookSignature({ secret, header, body, nowMs: now + 300_000 })).toMatchObject({ ok: true });
    expect(verifyWebhookSignature({ secret, header, body, nowMs: now + 301_000 })).toEqual({ ok: false, reason: 'expired' });
    expect(verifyWebhookSignature({ secret, header, body, nowMs: now - 301_000 })).toEqual({ ok: false, reason: 'expired' });
    expect(verifyWebhookSignature({ secret, header, body, nowMs: now + 20_000, toleranceMs: 10_000 })).toEqual({ ok: false, reason: 'expired' });
  });

  it('reports missing and malformed headers', () => {
    expect(verifyWebhookSignature({ secret, header: undefined, body, nowMs: now })).toEqual({ ok: false, reason: 'missing' });
    for (const header of ['t=1', 'v1=ab', 't=x,v1=' + 'a'.repeat(64), 't=1,v1=' + 'A'.repeat(64), 't=1=2,v1=', 'garbage', 'x'.repeat(2000)]) {
      expect(verifyWebhookSignature({ secret, header, body, nowMs: now }), header.slice(0, 20)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('accepts any of several v1 values (secret rotation)', () => {
    const t = Math.floor(now / 1000);
    const good = signWebhook(secret, body, now).split(',')[1];
    const header = `t=${t},v1=${'0'.repeat(64)},${good}`;
    expect(verifyWebhookSignature({ secret, header, body, nowMs: now })).toMatchObject({ ok: true });
  });
});

describe('webhookEndpoint (every signed outbound webhook: SMS, payouts)', () => {
  const secret = 's'.repeat(16);

  it('accepts https anywhere and plain http only to loopback', () => {
    expect(webhookEndpoint('payout', 'https://custody.example/payouts', secret).href).toBe('https://custody.example/payouts');
    for (const local of ['http://127.0.0.1:9000/p', 'http://[::1]:9000/p', 'http://localhost:9000/p']) {
      expect(webhookEndpoint('payout', local, secret).protocol).toBe('http:');
    }
  });

  it('refuses plain http to any other host, and other schemes (the bodies carry codes and addresses)', () => {
    for (const remote of ['http://custody.example/payouts', 'http://10.0.0.5/p', 'ftp://custody.example/p']) {
      expect(() => webhookEndpoint('payout', remote, secret)).toThrow('payout webhook URL must use https:// (http:// only to loopback)');
    }
  });

  it('refuses a secret shorter than 16 characters', () => {
    expect(() => webhookEndpoint('SMS', 'https://sms.example/send', 's'.repeat(15))).toThrow('SMS webhook secret must be at least 16 characters');
  });
});
