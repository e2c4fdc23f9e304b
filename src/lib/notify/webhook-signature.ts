/**
 * Signatures for outbound webhooks (SMS provider, later alerts): HMAC-SHA256 (RFC 2104) over
 * the timestamp and the exact body bytes, so a receiver can check origin, integrity and
 * freshness without any other state.
 *
 *   X-Q2-Signature: t=<unix seconds>,v1=<lower-case hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * Binding the timestamp into the MAC stops an old request from being replayed with a fresh
 * `t`; a receiver rejects `t` outside its tolerance (default 5 min) and may also remember the
 * `X-Q2-Webhook-Id` it already processed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import { isLoopbackHost } from './recipients.js';

export const SIGNATURE_HEADER = 'x-q2-signature';
export const WEBHOOK_ID_HEADER = 'x-q2-webhook-id';

function mac(secret: string, timestampS: number, body: string): Buffer {
  return createHmac('sha256', secret).update(`${timestampS}.`, 'utf8').update(body, 'utf8').digest();
}

/** Shortest accepted signing secret: a guessable secret would let anyone forge the sender's calls. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

/** https anywhere; plain http only to a loopback address (a local relay). Also checked by the config at start-up. */
export function isWebhookTransportAllowed(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/**
 * The endpoint of a signed outbound webhook (SMS provider, payout service), checked once for
 * every sender: https, or plain http only to loopback (the bodies carry codes and destination
 * addresses), and a secret of at least MIN_WEBHOOK_SECRET_LENGTH characters. `label` names the
 * sender in the TypeError.
 */
export function webhookEndpoint(label: string, url: string, secret: string): URL {
  const parsed = new URL(url);
  if (!isWebhookTransportAllowed(parsed)) {
    throw new TypeError(`${label} webhook URL must use https:// (http:// only to loopback)`);
  }
  if (typeof secret !== 'string' || secret.length < MIN_WEBHOOK_SECRET_LENGTH) {
    throw new TypeError(`${label} webhook secret must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters`);
  }
  return parsed;
}

/** The `X-Q2-Signature` value for `body` sent at `nowMs`. */
export function signWebhook(secret: string, body: string, nowMs: number): string {
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('webhook secret must be a non-empty string');
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${mac(secret, t, body).toString('hex')}`;
}

export type WebhookSignatureVerdict = { ok: true; timestampS: number } | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'invalid' };

/**
 * Receiver side: checks a signature header against the raw body. Constant-time comparison;
 * several `v1=` values are accepted so a sender can sign with an old and a new secret during
 * rotation.
 */
export function verifyWebhookSignature(input: {
  secret: string; header: string | undefined; body: string; nowMs: number; toleranceMs?: number;
}): WebhookSignatureVerdict {
  if (input.header === undefined || input.header === '') return { ok: false, reason: 'missing' };
  if (input.header.length > 1024) return { ok: false, reason: 'malformed' };
  let t: number | undefined;
  const candidates: Buffer[] = [];
  for (const part of input.header.split(',')) {
    const [name, value, ...rest] = part.trim().split('=');
    if (value === undefined || rest.length > 0) return { ok: false, reason: 'malformed' };
    if (name === 't' && /^[0-9]{1,12}$/.test(value)) t = Number(value);
    else if (name === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(Buffer.from(value, 'hex'));
  }
  if (t === undefined || candidates.length === 0) return { ok: false, reason: 'malformed' };
  const tolerance = input.toleranceMs ?? 300_000;
  if (Math.abs(input.nowMs - t * 1000) > tolerance) return { ok: false, reason: 'expired' };
  const expected = mac(input.secret, t, input.body);
  let match = false;
  for (const candidate of candidates) match = timingSafeEqual(candidate, expected) || match;
  return match ? { ok: true, timestampS: t } : { ok: false, reason: 'invalid' };
}
