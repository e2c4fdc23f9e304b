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

export interface BucketState {
  /** Fractional tokens. */
  tokens: number;
  /** When `tokens` was computed, ms. */
  updatedAt: number;
}

/**
 * Token bucket: refill by elapsed time (never past capacity, never negative elapsed), then take
 * `cost` if available. `ttlMs` is the time until the bucket is full again, after which the
 * state is indistinguishable from a fresh bucket and may be dropped.
 */
export function decideTokenBucket(
  state: BucketState | null,
  now: number,
  capacity: number,
  refillPerSecond: number,
  cost: number,
): TokenBucketResult & { state: BucketState; ttlMs: number } {
  let tokens = capacity;
  if (state !== null) {
    const elapsed = Math.max(0, now - state.updatedAt);
    tokens = Math.min(capacity, state.tokens + (elapsed * refillPerSecond) / 1000);
  }
  let allowed = false;
  let retryAfterMs = 0;
  if (tokens >= cost) {
    tokens -= cost;
    allowed = true;
  } else {
    retryAfterMs = Math.ceil(((cost - tokens) * 1000) / refillPerSecond);
  }
  return {
    allowed,
    remaining: Math.floor(tokens),
    retryAfterMs,
    state: { tokens, updatedAt: now },
    ttlMs: Math.ceil(((capacity - tokens) * 1000) / refillPerSecond),
  };
}
