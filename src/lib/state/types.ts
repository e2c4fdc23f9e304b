/**
 * The shared ephemeral state contract (nonces, denylists, rate limits, lockouts, IDS windows,
 * cross-replica invalidation). Every method is ONE atomic step: no caller ever observes or
 * acts on a half-applied operation, on either adapter.
 *
 * A key belongs to one family of operations: plain values (get/set/delete/setIfAbsent/
 * increment/compareAndSwap), a sliding window, or a token bucket. Mixing families on one key is
 * misuse; the result is adapter-specific.
 */

export interface SlidingWindowResult {
  /** True when this hit was recorded (the window held fewer than `limit` hits). */
  allowed: boolean;
  /** Hits in the window, including this one when allowed. */
  count: number;
  /** Milliseconds until the oldest hit leaves the window (a slot frees up); 0 when empty. */
  resetMs: number;
}

export interface TokenBucketResult {
  allowed: boolean;
  /** Whole tokens left after this decision. */
  remaining: number;
  /** When refused: milliseconds until `cost` tokens are available; 0 when allowed. */
  retryAfterMs: number;
}

export interface StateStore {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | null>;
  /** Sets the value; with `ttlMs` it expires after that many ms, without it it never expires. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Atomic set-if-absent with TTL: of concurrent callers exactly one gets true (nonces, locks). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Atomic counter (`by` may be negative). The TTL is applied when the counter has none (it was
   * just created) and is never extended, so a fixed window cannot be kept open by traffic.
   * Returns the new value.
   */
  increment(key: string, by: number, ttlMs: number): Promise<number>;
  /**
   * Atomic compare-and-swap: only if the current value equals `expected` (null = absent), sets
   * `next` (with `ttlMs`, or no expiry when omitted) or deletes the key when `next` is null.
   * Of concurrent callers with the same `expected`, exactly one gets true.
   */
  compareAndSwap(key: string, expected: string | null, next: string | null, ttlMs?: number): Promise<boolean>;
  /**
   * Sliding-window log: counts hits in the last `windowMs` and records this hit only if the
   * count is below `limit`, as one atomic decision. Redis uses the server clock.
   */
  slidingWindow(key: string, windowMs: number, limit: number): Promise<SlidingWindowResult>;
  /**
   * Token bucket holding up to `capacity` tokens, refilled continuously at `refillPerSecond`;
   * takes `cost` (default 1) tokens or none, as one atomic decision. A new bucket starts full.
   * Redis uses the server clock, so replicas with skewed clocks agree.
   */
  takeToken(key: string, capacity: number, refillPerSecond: number, cost?: number): Promise<TokenBucketResult>;
  /** Fire-and-forget broadcast to current subscribers (of every replica, on Redis). */
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active; returns the unsubscribe function. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  ping(): Promise<void>;
  /** Releases timers and connections; further calls reject. Safe to call twice. */
  close(): Promise<void>;
}

/** Where handler exceptions and connection problems are reported. */
export interface StateLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
