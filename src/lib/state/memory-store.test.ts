/** In-memory adapter specifics: behaviour over (manual) time and its memory bound. */
import { afterEach, describe, expect, it } from 'vitest';

import { createManualClock } from '../clock/index.js';
import { isAppError } from '../errors/index.js';
import { createMemoryStateStore } from './memory-store.js';
import type { StateStore } from './types.js';

const clock = createManualClock();
let store: StateStore;

function open(maxKeys?: number): StateStore {
  store = createMemoryStateStore({ clock, maxKeys });
  return store;
}

afterEach(async () => {
  await store.close();
});

describe('memory state store over time', () => {
  it('frees a sliding-window slot exactly when the oldest hit leaves the window', async () => {
    const s = open();
    await s.slidingWindow('w', 1_000, 2); // t0
    clock.advance(400);
    await s.slidingWindow('w', 1_000, 2); // t0+400
    await expect(s.slidingWindow('w', 1_000, 2)).resolves.toEqual({ allowed: false, count: 2, resetMs: 600 });
    clock.advance(599);
    await expect(s.slidingWindow('w', 1_000, 2)).resolves.toMatchObject({ allowed: false, resetMs: 1 });
    clock.advance(1);
    await expect(s.slidingWindow('w', 1_000, 2)).resolves.toEqual({ allowed: true, count: 2, resetMs: 400 });
  });

  it('refills a token bucket continuously and never past capacity', async () => {
    const s = open();
    for (let i = 0; i < 4; i++) await s.takeToken('b', 4, 2);
    await expect(s.takeToken('b', 4, 2)).resolves.toEqual({ allowed: false, remaining: 0, retryAfterMs: 500 });
    clock.advance(500);
    await expect(s.takeToken('b', 4, 2)).resolves.toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    clock.advance(60_000);
    await expect(s.takeToken('b', 4, 2)).resolves.toMatchObject({ allowed: true, remaining: 3 });
  });

  it('starts a new fixed window once a counter expires', async () => {
    const s = open();
    await s.increment('c', 3, 1_000);
    clock.advance(1_000);
    await expect(s.increment('c', 1, 1_000)).resolves.toBe(1);
  });

  it('refuses a new key with SERVICE_OVERLOADED when full of live keys (never evicts)', async () => {
    const s = open(3);
    for (const k of ['a', 'b', 'c']) await s.setIfAbsent(k, '1', 60_000);
    const error = await s.set('d', '1').catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe('SERVICE_OVERLOADED');
    await expect(s.get('a')).resolves.toBe('1');
    await expect(s.set('a', '2')).resolves.toBeUndefined(); // existing keys stay writable
  });

  it('makes room by sweeping expired keys when full', async () => {
    const s = open(3);
    for (const k of ['a', 'b', 'c']) await s.set(k, '1', 1_000);
    clock.advance(1_000);
    await expect(s.set('d', '1')).resolves.toBeUndefined();
  });

  it('when full, walks the map at most once per second (a full store must not cost O(keys) per write)', async () => {
    const s = open(3);
    for (const k of ['a', 'b', 'c']) await s.set(k, '1', 500);
    await expect(s.set('d', '1')).rejects.toThrow('capacity');
    clock.advance(600); // a, b, c have expired, but the last sweep was 600 ms ago
    await expect(s.set('e', '1')).rejects.toThrow('capacity');
    clock.advance(400);
    await expect(s.set('f', '1')).resolves.toBeUndefined();
  });

  it('refuses to mix operation families on one key', async () => {
    const s = open();
    await s.slidingWindow('w', 1_000, 5);
    await expect(s.get('w')).rejects.toThrow(TypeError);
    await expect(s.takeToken('w', 5, 1)).rejects.toThrow(TypeError);
    await s.set('v', 'not a number');
    await expect(s.increment('v', 1, 1_000)).rejects.toThrow(TypeError);
  });

  it('honours a clock moved backwards without granting extra tokens', async () => {
    const s = open();
    await s.takeToken('b', 1, 1);
    clock.advance(-10_000);
    await expect(s.takeToken('b', 1, 1)).resolves.toMatchObject({ allowed: false });
    clock.advance(10_000);
  });

  it('keeps a bucket\'s debt as it was when the clock steps back, instead of refusing for the whole step', async () => {
    const s = open();
    await s.takeToken('b', 5, 1);
    await s.takeToken('b', 5, 1);
    clock.advance(-120_000);
    try {
      // Two of five spent before the step: three remain after it, not a two-minute refusal.
      await expect(s.takeToken('b', 5, 1)).resolves.toMatchObject({ allowed: true, remaining: 2 });
      await expect(s.takeToken('b', 5, 1)).resolves.toMatchObject({ allowed: true, remaining: 1 });
      await expect(s.takeToken('b', 5, 1)).resolves.toMatchObject({ allowed: true, remaining: 0 });
      await expect(s.takeToken('b', 5, 1)).resolves.toMatchObject({ allowed: false });
    } finally {
      clock.advance(120_000);
    }
  });
});
