import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock/index.js';
import { AppError } from '../../lib/errors/index.js';
import { createMemoryNonceStore } from './memory-nonces.js';

const KEY = '0190d6a2-7a3b-7c4d-8e5f-a1b2c3d4e5f6';
const OTHER = '0190d6a2-7a3b-7c4d-8e5f-000000000000';

function store(maxPairs = 1_000, retainMs = 60_000) {
  const clock = createManualClock(Date.UTC(2026, 11, 5, 12, 0, 7, 123));
  return { clock, nonces: createMemoryNonceStore({ clock, retainMs, maxPairs }) };
}

describe('in-process replay store', () => {
  it('grants each (keyid, nonce) pair once, and keys do not share nonces', async () => {
    const { nonces } = store();
    expect(await nonces.claim(KEY, 'n1')).toBe(true);
    expect(await nonces.claim(KEY, 'n1')).toBe(false);
    expect(await nonces.claim(OTHER, 'n1')).toBe(true);
    expect(await nonces.claim(KEY, 'n2')).toBe(true);
    expect(nonces.size()).toBe(3);
  });

  it('remembers a pair for the whole retention, whatever generation it fell in', async () => {
    // Claims spread over every offset of a generation: each must stay refused until retainMs.
    const { clock, nonces } = store(10_000, 60_000);
    const claimedAt = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const nonce = `spread-${i}`;
      expect(await nonces.claim(KEY, nonce)).toBe(true);
      claimedAt.set(nonce, clock.now());
      clock.advance(397); // not a divisor of the 15 s generation
    }
    const end = clock.now() + 60_000;
    while (clock.now() < end) {
      for (const [nonce, at] of claimedAt) {
        if (clock.now() - at < 60_000) expect(await nonces.claim(KEY, nonce), `${nonce} at +${clock.now() - at} ms`).toBe(false);
      }
      clock.advance(1_000);
    }
  });

  it('forgets pairs after at most 1.5 retentions, so memory follows the request rate', async () => {
    const { clock, nonces } = store(10_000, 60_000);
    for (let i = 0; i < 100; i++) await nonces.claim(KEY, `old-${i}`);
    clock.advance(90_000);
    expect(await nonces.claim(KEY, 'new')).toBe(true);
    expect(nonces.size()).toBe(1);
    expect(await nonces.claim(KEY, 'old-0')).toBe(true);
  });

  it('fails closed when full: a new pair is refused with SERVICE_OVERLOADED and Retry-After, a replay is still a replay', async () => {
    const { clock, nonces } = store(3, 60_000);
    for (const n of ['a', 'b', 'c']) expect(await nonces.claim(KEY, n)).toBe(true);
    const refused = await nonces.claim(KEY, 'd').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('SERVICE_OVERLOADED');
    expect((refused as AppError).headers['retry-after']).toBe('15');
    expect(await nonces.claim(KEY, 'a')).toBe(false);
    // Room comes back with the generations, never by forgetting a pair early.
    clock.advance(59_999);
    await expect(nonces.claim(KEY, 'd')).rejects.toThrow(AppError);
    expect(await nonces.claim(KEY, 'c')).toBe(false);
    clock.advance(30_001);
    expect(await nonces.claim(KEY, 'd')).toBe(true);
  });

  it('keeps pairs when the clock steps back', async () => {
    const { clock, nonces } = store();
    expect(await nonces.claim(KEY, 'before-step')).toBe(true);
    clock.advance(-120_000);
    expect(await nonces.claim(KEY, 'before-step')).toBe(false);
    expect(await nonces.claim(KEY, 'after-step')).toBe(true);
    clock.advance(120_000 + 59_000);
    expect(await nonces.claim(KEY, 'before-step')).toBe(false);
    expect(await nonces.claim(KEY, 'after-step')).toBe(false);
  });

  it('holds more pairs than the shared in-process state store allows (the benchmark\'s overflow)', async () => {
    const { nonces } = store(250_000);
    for (let i = 0; i < 200_000; i++) expect(await nonces.claim(KEY, `bulk-${i}`)).toBe(true);
    expect(nonces.size()).toBe(200_000);
    expect(await nonces.claim(KEY, 'bulk-199999')).toBe(false);
  });

  it('refuses nonsense bounds', () => {
    const clock = createManualClock();
    expect(() => createMemoryNonceStore({ clock, retainMs: 0, maxPairs: 1 })).toThrow(TypeError);
    expect(() => createMemoryNonceStore({ clock, retainMs: 1, maxPairs: 0.5 })).toThrow(TypeError);
  });
});
