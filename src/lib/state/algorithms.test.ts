/** Properties of the pure rate-limit decisions (the Lua scripts mirror these steps). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { decideSlidingWindow, decideTokenBucket, type BucketState } from './algorithms.js';

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
            state = d.state;
            if (d.allowed) granted += cost;
            else expect(d.retryAfterMs).toBeGreaterThan(0);
            expect(d.state.tokens).toBeGreaterThanOrEqual(0);
            expect(d.state.tokens).toBeLessThanOrEqual(capacity);
          }
          expect(granted).toBeLessThanOrEqual(capacity + (now * refill) / 1000 + 1e-6);
        },
      ),
    );
  });

  it('grants a refused request once retryAfterMs has passed', () => {
    const empty = decideTokenBucket({ tokens: 0.25, updatedAt: 0 }, 0, 5, 3, 2);
    expect(empty.allowed).toBe(false);
    expect(decideTokenBucket(empty.state, empty.retryAfterMs, 5, 3, 2).allowed).toBe(true);
  });
});
