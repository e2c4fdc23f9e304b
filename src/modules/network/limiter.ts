/**
 * Token-bucket rate limiting over the shared StateStore: one `takeToken` per decision, so one
 * Redis round trip (an atomic Lua script on the server's clock) and a combined limit across
 * every replica. Header values follow SPEC §2 (`RateLimit-Limit/Remaining/Reset`, `Retry-After`).
 *
 * Two local shortcuts keep the shared store out of the hot path without changing any answer:
 * - a refusal is remembered until its retry time: no replica can add tokens faster than the
 *   refill, so the bucket cannot allow this key before then, and a flooding client costs no
 *   round trips at all (exact, unlike a fixed in-memory block);
 * - when the shared store fails, decisions fall back to a per-process memory bucket (the
 *   "insurance" limiter): limits become per replica for the outage instead of failing open
 *   (no limit) or closed (whole API down). The caller is told, to log and count it.
 */
import type { Clock } from '../../lib/clock/index.js';
import type { StateStore, TokenBucketResult } from '../../lib/state/index.js';
import type { LimitSpec } from './config.js';
import { createBoundedMap } from './bounded-map.js';

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again (RateLimit-Reset). */
  resetSeconds: number;
  /** When refused: whole seconds to wait (Retry-After), at least 1. */
  retryAfterSeconds: number;
  /** 'shared' (the StateStore), 'cache' (remembered refusal) or 'fallback' (store failed). */
  source: 'shared' | 'cache' | 'fallback';
}

export interface Limiter {
  decide(key: string, spec: LimitSpec): Promise<LimitDecision>;
}

export interface LimiterOptions {
  state: StateStore;
  /** Per-process store used while `state` fails. */
  fallback: StateStore;
  clock: Clock;
  maxTracked: number;
  onStoreError?(error: unknown): void;
}

export function createLimiter(options: LimiterOptions): Limiter {
  const { state, fallback, clock } = options;
  const refusedUntil = createBoundedMap<string, number>(options.maxTracked);

  function toDecision(spec: LimitSpec, allowed: boolean, remaining: number, retryAfterMs: number, source: LimitDecision['source']): LimitDecision {
    const refillPerMs = spec.limit / spec.windowMs;
    return {
      allowed,
      limit: spec.limit,
      remaining,
      resetSeconds: Math.ceil((spec.limit - remaining) / refillPerMs / 1000),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(retryAfterMs / 1000)),
      source,
    };
  }

  const settle = (key: string, spec: LimitSpec, now: number, source: LimitDecision['source']) => (result: TokenBucketResult): LimitDecision => {
    if (!result.allowed) refusedUntil.set(key, now + result.retryAfterMs);
    return toDecision(spec, result.allowed, result.remaining, result.retryAfterMs, source);
  };

  return {
    // Plain promise chains, not async functions: this runs on every request.
    decide(key, spec) {
      const now = clock.now();
      const until = refusedUntil.get(key);
      if (until !== undefined) {
        if (now < until) return Promise.resolve(toDecision(spec, false, 0, until - now, 'cache'));
        refusedUntil.delete(key);
      }
      const refillPerSecond = (spec.limit * 1000) / spec.windowMs;
      return state.takeToken(key, spec.limit, refillPerSecond).then(settle(key, spec, now, 'shared'), (error: unknown) => {
        options.onStoreError?.(error);
        return fallback.takeToken(key, spec.limit, refillPerSecond).then(settle(key, spec, now, 'fallback'));
      });
    },
  };
}
