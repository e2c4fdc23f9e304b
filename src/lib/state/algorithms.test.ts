/** Properties of the pure rate-limit decisions (the Lua scripts mirror these steps). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { bucketTokens, decideSlidingWindow, decideTokenBucket, type BucketState } from './algorithms.js';

describe('decideSlidingWindow', () => {
  it('never admits more than `limit` hits in any window-length interval', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 80 }),
        (windowMs, limit, gaps) => {
          let hits: number[] = [];
          let now = 0;
          const admitted: number[] = [];
          for (const gap of gaps) {
            now += gap;
            const d = decideSlidingWindow(hits, now, windowMs, limit);
            hits = d.hits;
            if (d.allowed) admitted.push(now);
            expect(d.count).toBeLessThanOrEqual(limit);
            expect(hits.length).toBeLessThanOrEqual(limit);
          }
          for (const start of admitted) {
            expect(admitted.filter((t) => t >= start && t < start + windowMs).length).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });
});

describe('decideTokenBucket', () => {
  it('never grants more than capacity plus what the elapsed time refilled', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 1, max: 5 })), { maxLength: 60 }),
        (capacity, refill, steps) => {
          let state: BucketState | null = null;
          let now = 0;
          let granted = 0;
          for (const [gap, rawCost] of steps) {
            now += gap;
            const cost = Math.min(rawCost, capacity);
            const d = decideTokenBucket(state, now, capacity, refill, cost);
            state = d;
            if (d.allowed) granted += cost;
            else expect(d.retryAfterMs).toBeGreaterThan(0);
            const tokens = bucketTokens(d.fullAt, now, capacity, 1000 / refill);
            expect(tokens).toBeGreaterThanOrEqual(0);
            expect(tokens).toBeLessThanOrEqual(capacity);
            expect(d.remaining).toBe(Math.floor(tokens));
          }
          expect(granted).toBeLessThanOrEqual(capacity + (now * refill) / 1000 + 1e-6);
        },
      ),
    );
  });

  it('grants a refused request once retryAfterMs has passed', () => {
    // 0.25 tokens left: 4.75 tokens short of full at 3 tokens/s.
    const empty = decideTokenBucket({ fullAt: (4.75 * 1000) / 3 }, 0, 5, 3, 2);
    expect(empty.allowed).toBe(false);
    expect(empty.remaining).toBe(0);
    expect(decideTokenBucket(empty, empty.retryAfterMs, 5, 3, 2).allowed).toBe(true);
  });

  it('takes whole tokens exactly despite floating-point refill intervals', () => {
    let state: BucketState | null = null;
    const remaining: number[] = [];
    // 7 per minute: an interval of 8571.428… ms, not representable exactly.
    for (let i = 0; i < 8; i++) {
      const d = decideTokenBucket(state, 1_000, 7, 7 / 60, 1);
      state = d;
      remaining.push(d.allowed ? d.remaining : -1);
    }
    expect(remaining).toEqual([6, 5, 4, 3, 2, 1, 0, -1]);
  });
});
