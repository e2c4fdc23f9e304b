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
import type { MemoryStateStore, StateStore, TokenBucketResult } from '../../lib/state/index.js';
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
  /**
   * Synchronous when the store answers synchronously (the in-process store: no promise per
   * request), else a promise of one round trip.
   */
  decide(key: string, spec: LimitSpec): LimitDecision | Promise<LimitDecision>;
}

export interface LimiterOptions {
  state: StateStore;
  /** Per-process store used while `state` fails. */
  fallback: MemoryStateStore;
  clock: Clock;
  maxTracked: number;
  onStoreError?(error: unknown): void;
}

const syncTaker = (store: StateStore) => ('takeTokenSync' in store && typeof store.takeTokenSync === 'function'
  ? (store as MemoryStateStore).takeTokenSync.bind(store) : null);

export function createLimiter(options: LimiterOptions): Limiter {
  const { state, fallback, clock } = options;
  const refusedUntil = createBoundedMap<string, number>(options.maxTracked);
  const takeNow = syncTaker(state);

  function settle(key: string, spec: LimitSpec, now: number, result: TokenBucketResult, source: LimitDecision['source']): LimitDecision {
    if (!result.allowed) refusedUntil.set(key, now + result.retryAfterMs);
    return {
      allowed: result.allowed,
      limit: spec.limit,
      remaining: result.remaining,
      resetSeconds: Math.ceil(((spec.limit - result.remaining) * spec.windowMs) / spec.limit / 1000),
      retryAfterSeconds: result.allowed ? 0 : Math.max(1, Math.ceil(result.retryAfterMs / 1000)),
      source,
    };
  }

  function onFallback(key: string, spec: LimitSpec, now: number, refillPerSecond: number, error: unknown): LimitDecision {
    options.onStoreError?.(error);
    return settle(key, spec, now, fallback.takeTokenSync(key, spec.limit, refillPerSecond), 'fallback');
  }

  return {
    decide(key, spec) {
      const now = clock.now();
      const until = refusedUntil.get(key);
      if (until !== undefined) {
        if (now < until) {
          return { allowed: false, limit: spec.limit, remaining: 0, resetSeconds: Math.ceil(spec.windowMs / 1000),
            retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)), source: 'cache' };
        }
        refusedUntil.delete(key);
      }
      const refillPerSecond = (spec.limit * 1000) / spec.windowMs;
      if (takeNow !== null) {
        try {
          return settle(key, spec, now, takeNow(key, spec.limit, refillPerSecond), 'shared');
        } catch (error) {
          return onFallback(key, spec, now, refillPerSecond, error);
        }
      }
      return state.takeToken(key, spec.limit, refillPerSecond).then(
        (result) => settle(key, spec, now, result, 'shared'),
        (error: unknown) => onFallback(key, spec, now, refillPerSecond, error),
      );
    },
  };
}
