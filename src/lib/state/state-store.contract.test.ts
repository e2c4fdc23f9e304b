/**
 * One contract, both adapters: every case runs against the in-memory store (manual clock) and
 * Redis (unique key prefix per test, keys removed afterwards). Where time must pass, memory
 * advances its clock and Redis is checked through PTTL or its reported reset times, so no case
 * sleeps for a window.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { stateBackends, uniqueKeyPrefix, type StateBackend } from '../../../test/support/backends.js';
import { createManualClock } from '../clock/index.js';
import { createMemoryStateStore } from './memory-store.js';
import { createRedisStateStore } from './redis-store.js';
import type { StateStore } from './types.js';

const backends = await stateBackends();

interface Harness {
  store: StateStore;
  /** Another replica sharing the backend (the same instance for memory: one process). */
  replica(): StateStore;
  /** Asserts `key` expires `ttlMs` after now (give or take Redis round trips). */
  expectExpiresIn(key: string, ttlMs: number): Promise<void>;
  /** Asserts `key` exists and has no expiry. */
  expectPersistent(key: string): Promise<void>;
  /** What the stores reported through their logger. */
  logged: { msg: string | undefined; obj: object }[];
  close(): Promise<void>;
}

function recordingLogger(logged: Harness['logged']) {
  const record = (obj: object, msg?: string) => void logged.push({ obj, msg });
  return { warn: record, error: record };
}

async function openHarness(backend: StateBackend, admin: Redis | undefined): Promise<Harness> {
  const logged: Harness['logged'] = [];
  const logger = recordingLogger(logged);
  if (backend.name === 'memory') {
    const clock = createManualClock();
    const store = createMemoryStateStore({ clock, logger });
    return {
      store,
      logged,
      replica: () => store,
      async expectExpiresIn(key, ttlMs) {
        clock.advance(ttlMs - 1);
        expect(await readAny(store, key)).toBe(true);
        clock.advance(1);
        expect(await readAny(store, key)).toBe(false);
      },
      async expectPersistent(key) {
        clock.advance(10 * 365 * 24 * 3600 * 1000);
        expect(await readAny(store, key)).toBe(true);
      },
      close: () => store.close(),
    };
  }
  const keyPrefix = uniqueKeyPrefix();
  const url = backend.redisUrl!;
  const store = createRedisStateStore({ url, keyPrefix, logger });
  const replicas: StateStore[] = [];
  return {
    store,
    logged,
    replica() {
      const replica = createRedisStateStore({ url, keyPrefix, logger });
      replicas.push(replica);
      return replica;
    },
    async expectExpiresIn(key, ttlMs) {
      const pttl = await admin!.pttl(keyPrefix + key);
      expect(pttl).toBeGreaterThan(ttlMs - 2_000);
      expect(pttl).toBeLessThanOrEqual(ttlMs);
    },
    async expectPersistent(key) {
      expect(await admin!.pttl(keyPrefix + key)).toBe(-1);
    },
    async close() {
      await Promise.all([store, ...replicas].map((s) => s.close()));
      const keys = await admin!.keys(`${keyPrefix}*`);
      if (keys.length > 0) await admin!.del(...keys);
    },
  };
}

/** True when the key holds anything: value, window or bucket (probed via the store API only). */
async function readAny(store: StateStore, key: string): Promise<boolean> {
  try {
    return (await store.get(key)) !== null;
  } catch {
    return true; // a window or bucket: get() refuses the wrong family, so the key exists
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe.each(backends)('StateStore contract on $name', (backend) => {
  let admin: Redis | undefined;
  let h: Harness;
  let store: StateStore;

  beforeAll(() => {
    if (backend.redisUrl !== undefined) admin = new Redis(backend.redisUrl);
  });
  afterAll(async () => {
    await admin?.quit();
  });
  beforeEach(async () => {
    h = await openHarness(backend, admin);
    store = h.store;
  });
  afterEach(async () => {
    await h.close();
  });

  it('reports its kind and answers ping', async () => {
    expect(store.kind).toBe(backend.name);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  describe('values', () => {
    it('gets null for an absent key, then what was set, then null after delete', async () => {
      await expect(store.get('k')).resolves.toBeNull();
      await store.set('k', 'v1');
      await expect(store.get('k')).resolves.toBe('v1');
      await store.set('k', 'v2');
      await expect(store.get('k')).resolves.toBe('v2');
      await store.delete('k');
      await expect(store.get('k')).resolves.toBeNull();
      await expect(store.delete('k')).resolves.toBeUndefined();
    });

    it('stores empty, unicode and hostile strings verbatim', async () => {
      for (const value of ['', '😀 𝔘 e\u0301', "'; DEL *\r\n\u0000 end", 'x'.repeat(10_000)]) {
        await store.set('k', value);
        await expect(store.get('k')).resolves.toBe(value);
      }
    });

    it('expires a value set with a TTL', async () => {
      await store.set('k', 'v', 60_000);
      await h.expectExpiresIn('k', 60_000);
    });

    it('keeps a value set without a TTL, and drops an earlier TTL when re-set without one', async () => {
      await store.set('k', 'v', 60_000);
      await store.set('k', 'v');
      await h.expectPersistent('k');
    });
  });

  describe('setIfAbsent', () => {
    it('sets an absent key with its TTL and refuses while it exists', async () => {
      await expect(store.setIfAbsent('nonce', 'a', 30_000)).resolves.toBe(true);
      await expect(store.setIfAbsent('nonce', 'b', 30_000)).resolves.toBe(false);
      await expect(store.get('nonce')).resolves.toBe('a');
      await h.expectExpiresIn('nonce', 30_000);
    });

    it('gives exactly one of 100 concurrent callers true', async () => {
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.setIfAbsent('lock', `owner-${i}`, 30_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      await expect(store.get('lock')).resolves.toBe(`owner-${winner}`);
    });

    it('rejects a nonce replayed on another replica', async () => {
      const other = h.replica();
      await expect(store.setIfAbsent('nonce:abc', '1', 30_000)).resolves.toBe(true);
      await expect(other.setIfAbsent('nonce:abc', '1', 30_000)).resolves.toBe(false);
    });
  });

  describe('increment', () => {
    it('creates a counter at `by`, adds, and accepts negative steps', async () => {
      await expect(store.increment('c', 1, 60_000)).resolves.toBe(1);
      await expect(store.increment('c', 5, 60_000)).resolves.toBe(6);
      await expect(store.increment('c', -2, 60_000)).resolves.toBe(4);
      await expect(store.get('c')).resolves.toBe('4');
    });

    it('sets the TTL when the counter is created and does not extend it', async () => {
      await store.increment('c', 1, 60_000);
      await store.increment('c', 1, 600_000);
      await h.expectExpiresIn('c', 60_000);
    });

    it('counts 100 concurrent increments exactly', async () => {
      await Promise.all(Array.from({ length: 100 }, () => store.increment('c', 1, 60_000)));
      await expect(store.get('c')).resolves.toBe('100');
    });

    it('returns 100 distinct values to 100 concurrent callers', async () => {
      const values = await Promise.all(Array.from({ length: 100 }, () => store.increment('c', 1, 60_000)));
      expect(new Set(values).size).toBe(100);
      expect(Math.max(...values)).toBe(100);
    });
  });

  describe('compareAndSwap', () => {
    it('creates only when absent (expected null)', async () => {
      await expect(store.compareAndSwap('k', null, 'v1')).resolves.toBe(true);
      await expect(store.compareAndSwap('k', null, 'v2')).resolves.toBe(false);
      await expect(store.get('k')).resolves.toBe('v1');
    });

    it('swaps only when the current value matches', async () => {
      await store.set('k', 'v1');
      await expect(store.compareAndSwap('k', 'other', 'v2')).resolves.toBe(false);
      await expect(store.compareAndSwap('k', 'v1', 'v2')).resolves.toBe(true);
      await expect(store.get('k')).resolves.toBe('v2');
    });

    it('deletes when next is null, only on a match', async () => {
      await store.set('k', 'v1');
      await expect(store.compareAndSwap('k', 'v0', null)).resolves.toBe(false);
      await expect(store.compareAndSwap('k', 'v1', null)).resolves.toBe(true);
      await expect(store.get('k')).resolves.toBeNull();
    });

    it('treats an absent key as not equal to the empty string', async () => {
      await expect(store.compareAndSwap('k', '', 'v')).resolves.toBe(false);
      await store.set('k', '');
      await expect(store.compareAndSwap('k', null, 'v')).resolves.toBe(false);
      await expect(store.compareAndSwap('k', '', 'v')).resolves.toBe(true);
    });

    it('applies the TTL given with the swap, and none when omitted', async () => {
      await store.compareAndSwap('a', null, 'v', 45_000);
      await h.expectExpiresIn('a', 45_000);
      await store.set('b', 'v1', 45_000);
      await store.compareAndSwap('b', 'v1', 'v2');
      await h.expectPersistent('b');
    });

    it('lets exactly one of 50 concurrent swappers from the same value win', async () => {
      await store.set('token', 'gen-0');
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.compareAndSwap('token', 'gen-0', `gen-1-${i}`)));
      expect(results.filter(Boolean)).toHaveLength(1);
      await expect(store.get('token')).resolves.toBe(`gen-1-${results.indexOf(true)}`);
    });
  });

  describe('slidingWindow', () => {
    it('allows exactly `limit` hits in a window and refuses the next', async () => {
      const results = [];
      for (let i = 0; i < 6; i++) results.push(await store.slidingWindow('w', 60_000, 5));
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false]);
      expect(results.map((r) => r.count)).toEqual([1, 2, 3, 4, 5, 5]);
      const refused = results[5]!;
      expect(refused.resetMs).toBeGreaterThan(55_000);
      expect(refused.resetMs).toBeLessThanOrEqual(60_000);
    });

    it('allows exactly `limit` of 50 concurrent hits', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, () => store.slidingWindow('w', 60_000, 10)));
      expect(results.filter((r) => r.allowed)).toHaveLength(10);
    });

    it('keeps separate windows per key', async () => {
      await store.slidingWindow('w1', 60_000, 1);
      await expect(store.slidingWindow('w1', 60_000, 1)).resolves.toMatchObject({ allowed: false });
      await expect(store.slidingWindow('w2', 60_000, 1)).resolves.toMatchObject({ allowed: true, count: 1 });
    });

    it('forgets the window once its newest hit is older than the window', async () => {
      await store.slidingWindow('w', 30_000, 3);
      await h.expectExpiresIn('w', 30_000);
    });
  });

  describe('takeToken', () => {
    it('starts full, takes until empty, then refuses with a retry time', async () => {
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await store.takeToken('b', 3, 0.001));
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
      expect(results[3]!.retryAfterMs).toBeGreaterThan(990_000); // 1 token at 0.001/s ≈ 1 000 000 ms
      expect(results[3]!.retryAfterMs).toBeLessThanOrEqual(1_000_000);
    });

    it('charges `cost` tokens or nothing', async () => {
      await expect(store.takeToken('b', 10, 0.001, 7)).resolves.toMatchObject({ allowed: true, remaining: 3 });
      await expect(store.takeToken('b', 10, 0.001, 4)).resolves.toMatchObject({ allowed: false, remaining: 3 });
      await expect(store.takeToken('b', 10, 0.001, 3)).resolves.toMatchObject({ allowed: true, remaining: 0 });
    });

    it('allows exactly `capacity` of 50 concurrent takes', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, () => store.takeToken('b', 20, 0.001)));
      expect(results.filter((r) => r.allowed)).toHaveLength(20);
    });

    it('forgets the bucket once it would be full again', async () => {
      await store.takeToken('b', 10, 1, 2); // 2 tokens short at 1/s: full again in 2 s
      await h.expectExpiresIn('b', 2_000);
    });
  });

  describe('publish/subscribe', () => {
    it('delivers a message to a subscriber on another replica', async () => {
      const other = h.replica();
      const received = deferred<string>();
      await other.subscribe('invalidate', received.resolve);
      await store.publish('invalidate', 'session:42');
      await expect(received.promise).resolves.toBe('session:42');
    });

    it('delivers to every subscriber and only on the subscribed channel', async () => {
      const a = deferred<string>();
      const b = deferred<string>();
      const wrong: string[] = [];
      await store.subscribe('ch', a.resolve);
      await store.subscribe('ch', b.resolve);
      await store.subscribe('other', (m) => wrong.push(m));
      await store.publish('ch', 'hello');
      await expect(Promise.all([a.promise, b.promise])).resolves.toEqual(['hello', 'hello']);
      expect(wrong).toEqual([]);
    });

    it('stops delivering after unsubscribe, without affecting other subscribers', async () => {
      const stopped: string[] = [];
      const stay = deferred<string>();
      const unsubscribe = await store.subscribe('ch', (m) => stopped.push(m));
      await store.subscribe('ch', stay.resolve);
      await unsubscribe();
      await store.publish('ch', 'after');
      await expect(stay.promise).resolves.toBe('after');
      expect(stopped).toEqual([]);
    });

    it('reports a throwing handler and keeps delivering to the others', async () => {
      const ok = deferred<string>();
      await store.subscribe('ch', () => {
        throw new Error('handler bug');
      });
      await store.subscribe('ch', ok.resolve);
      await store.publish('ch', 'm');
      await expect(ok.promise).resolves.toBe('m');
      expect(h.logged).toContainEqual({
        msg: 'state subscriber handler threw',
        obj: { channel: 'ch', err: { name: 'Error', message: 'handler bug' } },
      });
    });
  });

  describe('misuse', () => {
    it('rejects invalid arguments with TypeError', async () => {
      await expect(store.get('')).rejects.toThrow(TypeError);
      await expect(store.set('k', 1 as unknown as string)).rejects.toThrow(TypeError);
      await expect(store.set('k', 'v', 0)).rejects.toThrow(TypeError);
      await expect(store.setIfAbsent('k', 'v', 1.5)).rejects.toThrow(TypeError);
      await expect(store.increment('k', 0.5, 1000)).rejects.toThrow(TypeError);
      await expect(store.slidingWindow('k', 1000, 0)).rejects.toThrow(TypeError);
      await expect(store.takeToken('k', 5, 0)).rejects.toThrow(TypeError);
      await expect(store.takeToken('k', 5, 1, 6)).rejects.toThrow(TypeError);
    });

    it('rejects calls after close', async () => {
      await store.close();
      await expect(store.get('k')).rejects.toThrow(/closed/);
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
});
