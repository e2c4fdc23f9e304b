/**
 * The rate-limit decisions as pure functions over (state, now). The in-memory adapter calls
 * them directly; the Redis Lua scripts in `redis-scripts.ts` implement the same steps and the
 * contract suite holds the two to the same results.
 */
import type { SlidingWindowResult, TokenBucketResult } from './types.js';

/**
 * Sliding-window log. A hit at time `t` counts while `now < t + windowMs`. Returns the hits to
 * keep (only live ones, bounded by `limit`) and when the record may be forgotten.
 */
export function decideSlidingWindow(
  hits: readonly number[],
  now: number,
  windowMs: number,
  limit: number,
): SlidingWindowResult & { hits: number[]; expiresAt: number } {
  const live = hits.filter((t) => t > now - windowMs);
  const allowed = live.length < limit;
  if (allowed) live.push(now);
  let oldest = Infinity;
  let newest = -Infinity;
  for (const t of live) {
    if (t < oldest) oldest = t;
    if (t > newest) newest = t;
  }
  const empty = live.length === 0;
  return {
    allowed,
    count: live.length,
    resetMs: empty ? 0 : Math.max(0, oldest + windowMs - now),
    hits: live,
    expiresAt: empty ? now : newest + windowMs,
  };
}

/**
 * A token bucket as one number (the GCRA form of RFC 2697-style buckets): the time at which it
 * will be full again. Tokens at `now` are `capacity − (fullAt − now) / interval`, where
 * `interval` is the time one token takes to refill. One number means one plain GET/SET on
 * Redis and one field in memory, and a record past `fullAt` is a fresh (full) bucket, so the
 * record expires exactly then.
 */
export interface BucketState {
  /** When the bucket is full again, ms (≤ now means full). */
  fullAt: number;
}

/**
 * Tokens rounded to 1e-9: `fullAt` accumulates `cost × interval` in floating point, and noise in
 * the 16th digit must never cost (or grant) a whole token at a `floor`.
 */
export function bucketTokens(fullAt: number, now: number, capacity: number, intervalMs: number): number {
  const debt = fullAt > now ? fullAt - now : 0;
  return Math.round((capacity - debt / intervalMs) * 1e9) / 1e9 + 0; // + 0: never -0
}

/**
 * Token bucket: tokens refill continuously (one per `1000 / refillPerSecond` ms, never past
 * capacity); take `cost` if available. The returned `fullAt` is the new state; past it the
 * record is indistinguishable from a fresh bucket and may be dropped.
 */
export function decideTokenBucket(
  state: BucketState | null,
  now: number,
  capacity: number,
  refillPerSecond: number,
  cost: number,
): TokenBucketResult & BucketState {
  const intervalMs = 1000 / refillPerSecond;
  const base = state !== null && state.fullAt > now ? state.fullAt : now;
  const tokens = bucketTokens(base, now, capacity, intervalMs);
  if (tokens >= cost) return { allowed: true, remaining: Math.floor(tokens - cost), retryAfterMs: 0, fullAt: base + cost * intervalMs };
  return { allowed: false, remaining: Math.floor(tokens), retryAfterMs: Math.ceil((cost - tokens) * intervalMs), fullAt: base };
}
