/**
 * Alert webhook: every attempt is HMAC-signed over the exact body (verifiable by the receiver),
 * transient failures are retried with exponential backoff, permanent ones are not, and `send`
 * never waits for the network.
 */
import { describe, expect, it } from 'vitest';

import { createManualClock } from '../../../lib/clock/index.js';
import { SIGNATURE_HEADER, verifyWebhookSignature, WEBHOOK_ID_HEADER } from '../../../lib/notify/webhook-signature.js';
import type { Alert } from '../store/alert-store.js';
import { backoffMs, createAlertWebhook } from './alert-webhook.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
const SECRET = 'alert-webhook-test-secret';
const alert: Alert = {
  id: '8a3b8f0e-4c59-4f8e-9d4c-2a6f3b1e7c10', ruleId: 'token-reuse', ruleVersion: 1, severity: 'critical', title: 'Refresh token reused',
  groupKey: 'u1', events: [], createdAt: clock.now(), ackedAt: null, ackedBy: null,
};
const quiet = { warn: () => undefined, error: () => undefined };

function harness(statuses: (number | 'throw')[]) {
  const calls: { headers: Record<string, string>; body: string }[] = [];
  const slept: number[] = [];
  const fetch = (async (_url: string, init: RequestInit) => {
    calls.push({ headers: init.headers as Record<string, string>, body: init.body as string });
    const status = statuses[calls.length - 1] ?? 200;
    if (status === 'throw') throw new TypeError('fetch failed');
    return new Response(null, { status });
  }) as unknown as typeof globalThis.fetch;
  const webhook = createAlertWebhook({
    url: 'https://hooks.example/alerts', secret: SECRET, clock, logger: quiet, fetch, maxAttempts: 4, baseDelayMs: 100,
    sleep: async (ms) => { slept.push(ms); },
  });
  return { webhook, calls, slept };
}

describe('alert webhook', () => {
  it('signs the exact body so the receiver verifies it, and names the alert for dedup', async () => {
    const { webhook, calls } = harness([200]);
    webhook.send(alert);
    await webhook.idle();
    expect(calls).toHaveLength(1);
    const { headers, body } = calls[0]!;
    expect(headers[WEBHOOK_ID_HEADER]).toBe(alert.id);
    expect(verifyWebhookSignature({ secret: SECRET, header: headers[SIGNATURE_HEADER], body, nowMs: clock.now() })).toEqual({ ok: true, timestampS: Math.floor(clock.now() / 1000) });
    expect(verifyWebhookSignature({ secret: 'another-secret', header: headers[SIGNATURE_HEADER], body, nowMs: clock.now() }).ok).toBe(false);
    expect(JSON.parse(body)).toMatchObject({ type: 'alert.raised', alert: { id: alert.id, ruleId: 'token-reuse' } });
  });

  it('retries network errors, 429 and 5xx with exponential backoff until delivered', async () => {
    const { webhook, calls, slept } = harness(['throw', 503, 429, 200]);
    webhook.send(alert);
    await webhook.idle();
    expect(calls).toHaveLength(4);
    expect(slept).toEqual([100, 200, 400]);
  });

  it('gives up after maxAttempts, and does not retry a permanent 4xx', async () => {
    const failing = harness([500, 500, 500, 500, 500]);
    failing.webhook.send(alert);
    await failing.webhook.idle();
    expect(failing.calls).toHaveLength(4);
    const rejected = harness([400]);
    rejected.webhook.send(alert);
    await rejected.webhook.idle();
    expect(rejected.calls).toHaveLength(1);
    expect(rejected.slept).toEqual([]);
  });

  it('send returns before any network I/O completes (never blocks the request path)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let finished = false;
    const webhook = createAlertWebhook({
      url: 'https://hooks.example/alerts', secret: SECRET, clock, logger: quiet,
      fetch: (async () => { await gate; finished = true; return new Response(null, { status: 204 }); }) as unknown as typeof globalThis.fetch,
    });
    webhook.send(alert);
    expect(finished).toBe(false);
    release();
    await webhook.idle();
    expect(finished).toBe(true);
  });

  it('caps the backoff at 5 minutes', () => {
    expect(backoffMs(1, 1_000)).toBe(1_000);
    expect(backoffMs(3, 1_000)).toBe(4_000);
    expect(backoffMs(30, 1_000)).toBe(300_000);
  });
});
