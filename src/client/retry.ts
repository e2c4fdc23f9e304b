/**
 * When the SDK may send a request again, as a pure decision. Only what cannot do harm twice is
 * retried: reads, DELETEs, and order placement, which carries its idempotency key
 * (`clientOrderId`: a second copy is refused as `ORDER_DUPLICATE`, never executed). A connection
 * that was refused never reached the server, so any request may be retried then. Backoff is
 * exponential with full jitter, or the server's `Retry-After` when it gave one.
 */

export interface RetryPolicy {
  /** Total attempts, including the first; default 3. */
  attempts: number;
  baseDelayMs: number;
  /** No wait is longer; a `Retry-After` beyond it is not waited for. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ attempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 });

export type AttemptOutcome =
  | { kind: 'transport'; code: string }
  | { kind: 'response'; status: number; retryAfterSeconds: number | null };

/** Server answers that say "not now" without having acted: overload, dependency down, rate limit. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export function retryDelay(outcome: AttemptOutcome, attempt: number, idempotent: boolean, policy: RetryPolicy, random: () => number): number | null {
  if (attempt >= policy.attempts) return null;
  if (outcome.kind === 'transport') {
    if (!idempotent && outcome.code !== 'ECONNREFUSED') return null;
  } else {
    if (!idempotent || !RETRYABLE_STATUS.has(outcome.status)) return null;
    if (outcome.retryAfterSeconds !== null) {
      const ms = outcome.retryAfterSeconds * 1000;
      return ms <= policy.maxDelayMs ? ms : null;
    }
    // A 429 without Retry-After gives no safe time to come back.
    if (outcome.status === 429) return null;
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** `Retry-After` in seconds (delta form only; the platform never sends a date). */
export function parseRetryAfter(value: string | string[] | undefined): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\d{1,6}$/.test(text.trim())) return null;
  return Number(text.trim());
}
