/**
 * In-process StateStore for a single replica (development, tests, one-node deployments).
 *
 * Atomicity: every operation reads and writes the map synchronously, with no `await` in
 * between, so JavaScript's single thread makes each one atomic. Expiry is checked against the
 * injected clock on every read (lazy) and by a periodic sweep on an unref'd timer.
 *
 * Memory is bounded by `maxKeys`. When full, after sweeping expired entries (at most once per
 * second, since a sweep walks every key), a write of a new key is refused with
 * SERVICE_OVERLOADED rather than evicting: evicting a lockout or a challenge would silently
 * weaken a security check (fail closed).
 */
import type { Clock } from '../clock/index.js';
import { AppError } from '../errors/index.js';
import { decideSlidingWindow, decideTokenBucket } from './algorithms.js';
import { createLocalPubSub } from './memory-pubsub.js';
import type { StateLogger, StateStore, TokenBucketResult } from './types.js';
import {
  assertBucket,
  assertKey,
  assertOptionalTtl,
  assertPositiveInt,
  assertSafeInt,
  assertValue,
} from './validate.js';

export interface MemoryStateStoreOptions {
  clock: Clock;
  /** Upper bound on live keys; default 100 000. */
  maxKeys?: number;
  /** Real-time interval of the background sweep; default 30 s. */
  sweepIntervalMs?: number;
  logger?: StateLogger;
}

type Entry =
  | { kind: 'value'; value: string; expiresAt: number | null }
  | { kind: 'window'; hits: number[]; expiresAt: number }
  /**
   * A token bucket; `expiresAt` is its `fullAt` (see algorithms.ts), updated in place.
   * `seenAt` is the clock at the last take: if the wall clock steps back (NTP), the debt is
   * kept as it was instead of growing by the step, which would refuse every client for as long
   * as the step. (Redis buckets read Redis's own expiry clock and are not affected.)
   */
  | { kind: 'bucket'; expiresAt: number; seenAt: number };

/**
 * The in-process store also answers token-bucket decisions synchronously: the rate limiter
 * calls this on every request, and a promise per decision is most of the cost at 10⁶/s.
 */
export interface MemoryStateStore extends StateStore {
  readonly kind: 'memory';
  takeTokenSync(key: string, capacity: number, refillPerSecond: number, cost?: number): TokenBucketResult;
}

export function createMemoryStateStore(options: MemoryStateStoreOptions): MemoryStateStore {
  const { clock } = options;
  const maxKeys = options.maxKeys ?? 100_000;
  assertPositiveInt(maxKeys, 'maxKeys');
  const entries = new Map<string, Entry>();
  const pubsub = createLocalPubSub(options.logger);
  let closed = false;

  const timer = setInterval(sweep, options.sweepIntervalMs ?? 30_000);
  timer.unref();

  function sweep(): void {
    const now = clock.now();
    for (const [key, entry] of entries) if (isExpired(entry, now)) entries.delete(key);
  }

  function isExpired(entry: Entry, now: number): boolean {
    return entry.expiresAt !== null && entry.expiresAt <= now;
  }

  function read(key: string, now: number): Entry | undefined {
    const entry = entries.get(key);
    if (entry !== undefined && isExpired(entry, now)) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** When the map is full, a sweep runs at most once per clock second: each walks every key. */
  let lastFullSweepAt = Number.NEGATIVE_INFINITY;

  function write(key: string, entry: Entry): void {
    if (!entries.has(key) && entries.size >= maxKeys) {
      const now = clock.now();
      if (Math.abs(now - lastFullSweepAt) >= 1_000) {
        lastFullSweepAt = now;
        sweep();
      }
      if (entries.size >= maxKeys) throw new AppError('SERVICE_OVERLOADED', 'Shared state capacity reached');
    }
    entries.set(key, entry);
  }

  function readValue(key: string, now: number): (Entry & { kind: 'value' }) | undefined {
    const entry = read(key, now);
    if (entry !== undefined && entry.kind !== 'value') throw new TypeError(`state key holds a ${entry.kind}, not a value`);
    return entry;
  }

  function expiry(now: number, ttlMs: number | undefined): number | null {
    return ttlMs === undefined ? null : now + ttlMs;
  }

  /** Runs `fn` synchronously (atomic) and reports its outcome as a promise. */
  function op<T>(fn: () => T): Promise<T> {
    try {
      if (closed) throw new Error('state store is closed');
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  function takeTokenSync(key: string, capacity: number, refillPerSecond: number, cost = 1): TokenBucketResult {
    if (closed) throw new Error('state store is closed');
    assertKey(key);
    assertBucket(capacity, refillPerSecond, cost);
    const now = clock.now();
    let entry = entries.get(key);
    if (entry !== undefined && entry.kind !== 'bucket') {
      if (!isExpired(entry, now)) throw new TypeError(`state key holds a ${entry.kind}, not a bucket`);
      entries.delete(key);
      entry = undefined;
    }
    if (entry !== undefined && entry.seenAt > now) {
      entry.expiresAt -= entry.seenAt - now;
      entry.seenAt = now;
    }
    const decision = decideTokenBucket(entry === undefined ? null : { fullAt: entry.expiresAt }, now, capacity, refillPerSecond, cost);
    if (decision.allowed) {
      // In place when the bucket exists: no allocation, no re-insertion on the hot path.
      if (entry !== undefined) {
        entry.expiresAt = decision.fullAt;
        entry.seenAt = now;
      } else {
        write(key, { kind: 'bucket', expiresAt: decision.fullAt, seenAt: now });
      }
    }
    return { allowed: decision.allowed, remaining: decision.remaining, retryAfterMs: decision.retryAfterMs };
  }

  return {
    kind: 'memory',
    takeTokenSync,
    get: (key) =>
      op(() => {
        assertKey(key);
        return readValue(key, clock.now())?.value ?? null;
      }),
    set: (key, value, ttlMs) =>
      op(() => {
        assertKey(key);
        assertValue(value);
        assertOptionalTtl(ttlMs);
        write(key, { kind: 'value', value, expiresAt: expiry(clock.now(), ttlMs) });
      }),
    delete: (key) =>
      op(() => {
        assertKey(key);
        entries.delete(key);
      }),
    setIfAbsent: (key, value, ttlMs) =>
      op(() => {
        assertKey(key);
        assertValue(value);
        assertPositiveInt(ttlMs, 'ttlMs');
        const now = clock.now();
        if (read(key, now) !== undefined) return false;
        write(key, { kind: 'value', value, expiresAt: now + ttlMs });
        return true;
      }),
    increment: (key, by, ttlMs) =>
      op(() => {
        assertKey(key);
        assertSafeInt(by, 'by');
        assertPositiveInt(ttlMs, 'ttlMs');
        const now = clock.now();
        const entry = readValue(key, now);
        const current = entry === undefined ? 0 : parseCounter(entry.value);
        const next = current + by;
        if (!Number.isSafeInteger(next)) throw new RangeError('state counter overflow');
        write(key, { kind: 'value', value: String(next), expiresAt: entry?.expiresAt ?? now + ttlMs });
        return next;
      }),
    compareAndSwap: (key, expected, next, ttlMs) =>
      op(() => {
        assertKey(key);
        if (expected !== null) assertValue(expected);
        if (next !== null) assertValue(next);
        assertOptionalTtl(ttlMs);
        const now = clock.now();
        const current = readValue(key, now)?.value ?? null;
        if (current !== expected) return false;
        if (next === null) entries.delete(key);
        else write(key, { kind: 'value', value: next, expiresAt: expiry(now, ttlMs) });
        return true;
      }),
    slidingWindow: (key, windowMs, limit) =>
      op(() => {
        assertKey(key);
        assertPositiveInt(windowMs, 'windowMs');
        assertPositiveInt(limit, 'limit');
        const now = clock.now();
        const entry = read(key, now);
        if (entry !== undefined && entry.kind !== 'window') throw new TypeError(`state key holds a ${entry.kind}, not a window`);
        const decision = decideSlidingWindow(entry?.hits ?? [], now, windowMs, limit);
        if (decision.hits.length === 0) entries.delete(key);
        else write(key, { kind: 'window', hits: decision.hits, expiresAt: decision.expiresAt });
        return { allowed: decision.allowed, count: decision.count, resetMs: decision.resetMs };
      }),
    takeToken(key, capacity, refillPerSecond, cost) {
      try {
        return Promise.resolve(takeTokenSync(key, capacity, refillPerSecond, cost));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    publish: (channel, message) =>
      op(() => {
        assertKey(channel, 'channel');
        assertValue(message);
        pubsub.publish(channel, message);
      }),
    subscribe: (channel, handler) =>
      op(() => {
        assertKey(channel, 'channel');
        if (typeof handler !== 'function') throw new TypeError('handler must be a function');
        return pubsub.subscribe(channel, handler);
      }),
    ping: () => op(() => undefined),
    close() {
      if (!closed) {
        closed = true;
        clearInterval(timer);
        entries.clear();
        pubsub.clear();
      }
      return Promise.resolve();
    },
  };
}

/** Counters are stored as decimal strings, as in Redis; anything else is misuse. */
function parseCounter(value: string): number {
  if (!/^-?\d{1,16}$/.test(value)) throw new TypeError('state value is not an integer counter');
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new TypeError('state value is not an integer counter');
  return n;
}
