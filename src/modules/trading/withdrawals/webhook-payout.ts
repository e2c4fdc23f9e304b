/**
 * The payout port over HTTP (Q2_PAYOUT_WEBHOOK_URL): one JSON POST per approved withdrawal to an
 * operator's custody or wallet service, signed like every Q2 webhook (`X-Q2-Signature`,
 * HMAC-SHA256 under Q2_PAYOUT_WEBHOOK_SECRET, src/lib/notify/webhook-signature.ts). Body:
 *
 *   { "withdrawalId": "<uuid>", "userId": "…", "asset": "BTC", "amount": "0.5", "address": "bc1…", "attempt": 1, "createdAt": <unix ms> }
 *
 * `withdrawalId` is the idempotency key, repeated in `Idempotency-Key` and `X-Q2-Webhook-Id`:
 * the receiver must pay each id at most once and answer a repeat with its first answer, because
 * a failed attempt is retried (`attempt` 2, 3, …) and after a crash between its answer and our
 * record the same attempt is sent again. It answers 2xx with `{"status":"submitted"}`,
 * `{"status":"sent","txId":"…"}` or `{"status":"failed","reason":"…"}`; anything else (another
 * status code, a malformed answer, a redirect, a network error, a timeout) is an error: the
 * withdrawal stays `pending` and the attempt is retried with backoff (payout-attempts.ts),
 * except a 4xx other than 408, 409, 425 and 429: a refusal of the request itself (signature,
 * format), which no retry fixes, flags the withdrawal for an operator at once (`PayoutRefused`).
 * Plain http only to loopback: the body carries a destination address.
 */
import type { Clock } from '../../../lib/clock/index.js';
import { SIGNATURE_HEADER, signWebhook, WEBHOOK_ID_HEADER, webhookEndpoint } from '../../../lib/notify/index.js';
import { PayoutRefused, type PayoutOutcome, type WithdrawalPayout } from './ports.js';

export interface WebhookPayoutOptions {
  url: string;
  secret: string;
  clock: Clock;
  /** Abort the POST after this long; default 10 s. */
  timeoutMs?: number;
}

/** draft-ietf-httpapi-idempotency-key-header: the same key on every attempt of one withdrawal. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/;
/** 4xx answers that say "later", not "never": timeout, conflict (a concurrent attempt), too early, rate limit. */
const TRANSIENT_4XX = new Set([408, 409, 425, 429]);

/** The receiver's answer, checked field by field (it decides whether money was sent). */
export function parsePayoutAnswer(value: unknown): PayoutOutcome | null {
  if (typeof value !== 'object' || value === null) return null;
  const answer = value as Record<string, unknown>;
  if (answer.status === 'submitted') return { status: 'submitted' };
  if (answer.status === 'sent' && typeof answer.txId === 'string' && TOKEN.test(answer.txId)) return { status: 'sent', txId: answer.txId };
  if (answer.status === 'failed' && typeof answer.reason === 'string' && answer.reason.length > 0 && answer.reason.length <= 500) {
    return { status: 'failed', reason: answer.reason };
  }
  return null;
}

export function createWebhookPayout(options: WebhookPayoutOptions): WithdrawalPayout {
  const url = webhookEndpoint('payout', options.url, options.secret);
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    name: 'webhook',
    async send(request) {
      const now = options.clock.now();
      const body = JSON.stringify({ ...request, createdAt: now });
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(options.secret, body, now),
          [WEBHOOK_ID_HEADER]: request.withdrawalId, [IDEMPOTENCY_KEY_HEADER]: request.withdrawalId,
        },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      if (response.status >= 400 && response.status <= 499 && !TRANSIENT_4XX.has(response.status)) {
        throw new PayoutRefused(`payout webhook refused the request with HTTP ${response.status}`);
      }
      if (response.status < 200 || response.status > 299) throw new Error(`payout webhook answered HTTP ${response.status}`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new Error('payout webhook answered something other than JSON');
      }
      const outcome = parsePayoutAnswer(parsed);
      if (!outcome) throw new Error('payout webhook answered an unknown outcome');
      return outcome;
    },
  };
}
