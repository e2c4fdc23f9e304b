import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock/index.js';
import { createMemoryStateStore, createStateStore, type MemoryStateStore, type StateStore } from '../../lib/state/index.js';
import { stateBackends, uniqueKeyPrefix } from '../../../test/support/backends.js';
import { createLimiter } from './limiter.js';

const spec = { limit: 5, windowMs: 10_000 };

/** The StateStore methods of a store, without the synchronous extras of the memory one. */
function pick(store: StateStore): Omit<StateStore, 'kind'> {
  const { get, set, delete: del, setIfAbsent, increment, compareAndSwap, slidingWindow, takeToken, publish, subscribe, ping, close } = store;
  return { get, set, delete: del, setIfAbsent, increment, compareAndSwap, slidingWindow, takeToken, publish, subscribe, ping, close };
}

describe('limiter on memory (manual clock)', () => {
  const clock = createManualClock();
  let state: MemoryStateStore;
  let fallback: MemoryStateStore;
  beforeAll(() => {
    state = createMemoryStateStore({ clock });
    fallback = createMemoryStateStore({ clock });
  });
  afterAll(async () => {
    await state.close();
    await fallback.close();
  });

  it('allows a burst of `limit`, then refuses with Retry-After, then refills at limit/window', async () => {
    const limiter = createLimiter({ state, fallback, clock, maxTracked: 100 });
    const burst = [];
    for (let i = 0; i < 6; i++) burst.push(await limiter.decide('k1', spec));
    expect(burst.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(burst.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
    expect(burst[0]).toMatchObject({ limit: 5, resetSeconds: 2, source: 'shared' });
    expect(burst[4]).toMatchObject({ resetSeconds: 10 });
    expect(burst[5]).toMatchObject({ allowed: false, retryAfterSeconds: 2, source: 'shared' });
    clock.advance(1_999);
    expect(await limiter.decide('k1', spec)).toMatchObject({ allowed: false, source: 'cache', retryAfterSeconds: 1 });
    clock.advance(1);
    expect(await limiter.decide('k1', spec)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('answers a remembered refusal without touching the shared store', async () => {
    let calls = 0;
    const counting: MemoryStateStore = { ...state, takeTokenSync: (...args) => { calls++; return state.takeTokenSync(...args); } };
    const limiter = createLimiter({ state: counting, fallback, clock, maxTracked: 100 });
    for (let i = 0; i < 50; i++) await limiter.decide('k2', spec);
    expect(calls).toBe(6);
  });

  it('falls back to the per-process bucket when the shared store fails, and says so', async () => {
    const errors: unknown[] = [];
    // Only the asynchronous interface: stands for Redis.
    const broken: StateStore = { kind: 'redis', ...pick(state), takeToken: () => Promise.reject(new Error('redis down')) };
    const limiter = createLimiter({ state: broken, fallback, clock, maxTracked: 100, onStoreError: (e) => errors.push(e) });
    const decisions = [];
    for (let i = 0; i < 6; i++) decisions.push(await limiter.decide('k3', spec));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(decisions[0]!.source).toBe('fallback');
    expect(errors).toHaveLength(6);
  });

  it('decides synchronously on the in-process store (no promise per request)', () => {
    const limiter = createLimiter({ state, fallback, clock, maxTracked: 100 });
    const decision = limiter.decide('k4', spec);
    expect(decision).not.toBeInstanceOf(Promise);
    expect(decision).toMatchObject({ allowed: true, remaining: 4, source: 'shared' });
  });

  it('falls back synchronously when the in-process store refuses a write (capacity reached)', () => {
    const errors: unknown[] = [];
    const full = createMemoryStateStore({ clock, maxKeys: 1 });
    full.takeTokenSync('occupied', 5, 1);
    const limiter = createLimiter({ state: full, fallback, clock, maxTracked: 100, onStoreError: (e) => errors.push(e) });
    expect(limiter.decide('k5', spec)).toMatchObject({ allowed: true, source: 'fallback' });
    expect(errors).toHaveLength(1);
    void full.close();
  });
});

describe.each((await stateBackends()).filter((b) => b.redisUrl))('limiter on $name shared by two replicas', ({ redisUrl }) => {
  let a: StateStore;
  let b: StateStore;
  let fallback: MemoryStateStore;
  const clock = createManualClock();
  beforeAll(async () => {
    const keyPrefix = uniqueKeyPrefix();
    a = await createStateStore({ redisUrl, keyPrefix, clock });
    b = await createStateStore({ redisUrl, keyPrefix, clock });
    fallback = createMemoryStateStore({ clock });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close(), fallback.close()]);
  });

  it('enforces one combined limit across both (100, not 200)', async () => {
    const limiters = [createLimiter({ state: a, fallback, clock, maxTracked: 100 }), createLimiter({ state: b, fallback, clock, maxTracked: 100 })];
    const big = { limit: 100, windowMs: 3_600_000 };
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => limiters[i % 2]!.decide('combined', big)));
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
    expect(results.every((r) => r.source === 'shared')).toBe(true);
  });
});
