import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregate, isFlatlined, type Observation } from './aggregate.js';
import { deviatesBeyond, medianPrice } from './median.js';

const policy = { sourceStalenessMs: 5_000, heartbeatMs: 3_000, maxDeviationBps: 300, flatlineMs: 60_000, unit: 1n };
const NOW = 1_000_000;
const obs = (sourceId: string, price: bigint, age = 0, changedAge = 0): Observation =>
  ({ sourceId, price, timestamp: NOW - age, sequence: 1, changedAt: NOW - changedAge });

describe('medianPrice', () => {
  it('takes the middle value of an odd count and the rounded mean of an even one', () => {
    expect(medianPrice([5n, 1n, 3n])).toBe(3n);
    expect(medianPrice([1n, 2n, 4n, 10n])).toBe(3n);
    expect(medianPrice([100n, 101n])).toBe(101n); // 100.5 rounds half-up
    expect(medianPrice([1_000n, 1_300n], 100n)).toBe(1_200n); // 1150 → nearest unit of 100, half-up
  });

  it('always lies between the two middle values (property)', () => {
    fc.assert(fc.property(fc.array(fc.bigInt({ min: 1n, max: 10n ** 30n }), { minLength: 1, maxLength: 15 }), fc.constantFrom(1n, 10n, 1000n), (prices, unit) => {
      const m = medianPrice(prices, unit);
      const sorted = [...prices].sort((a, b) => (a < b ? -1 : 1));
      const lo = sorted[(sorted.length - 1) >> 1]!;
      const hi = sorted[sorted.length >> 1]!;
      expect(m >= lo && m <= hi).toBe(true);
    }));
  });

  it('compares deviations exactly in basis points', () => {
    expect(deviatesBeyond(103n, 100n, 300)).toBe(false);
    expect(deviatesBeyond(10_301n, 10_000n, 300)).toBe(true);
    expect(deviatesBeyond(9_699n, 10_000n, 300)).toBe(true);
  });
});

describe('aggregate', () => {
  it('is the median of fresh agreeing sources, ok within the heartbeat', () => {
    const a = aggregate([obs('a', 100n), obs('b', 101n), obs('c', 102n)], NOW, policy, 3);
    expect(a).toMatchObject({ status: 'ok', price: 101n, updatedAt: NOW, reason: null });
    expect(a.sources.map((s) => s.state)).toEqual(['used', 'used', 'used']);
  });

  it('excludes a source more than maxDeviationBps from the median and flags it', () => {
    const a = aggregate([obs('a', 10_000n), obs('b', 10_010n), obs('c', 10_020n), obs('evil', 50_000n)], NOW, policy, 3);
    expect(a.price).toBe(10_010n);
    expect(a.sources.find((s) => s.sourceId === 'evil')).toMatchObject({ state: 'excluded' });
  });

  it('drops sources older than the staleness window and halts below the quorum', () => {
    const a = aggregate([obs('a', 100n), obs('b', 100n, 5_001), obs('c', 100n, 9_000)], NOW, policy, 2);
    expect(a).toMatchObject({ status: 'halted', reason: 'quorum_lost', price: null });
    expect(a.sources.filter((s) => s.state === 'stale')).toHaveLength(2);
  });

  it('halts for divergence when too few sources agree with the median', () => {
    const a = aggregate([obs('a', 100n), obs('b', 200n), obs('c', 400n)], NOW, policy, 2);
    expect(a).toMatchObject({ status: 'halted', reason: 'divergence' });
  });

  it('is stale when fewer than a quorum reported within the heartbeat', () => {
    const a = aggregate([obs('a', 100n, 4_000), obs('b', 100n, 3_500), obs('c', 100n, 0)], NOW, policy, 2);
    expect(a).toMatchObject({ status: 'stale', price: 100n, updatedAt: NOW - 3_500 });
  });

  it('sets aside a flat-lined source while the others move', () => {
    const flat = obs('flat', 100n, 0, 70_000);
    const moving = [obs('a', 101n, 0, 1_000), obs('b', 101n, 0, 2_000)];
    expect(isFlatlined(flat, [flat, ...moving], NOW, policy.flatlineMs)).toBe(true);
    const a = aggregate([flat, ...moving], NOW, policy, 2);
    expect(a.sources.find((s) => s.sourceId === 'flat')?.state).toBe('flatline');
    // A market where nobody moves, or that moved and came back, does not flag a source.
    expect(isFlatlined(flat, [flat, obs('x', 100n, 0, 80_000)], NOW, policy.flatlineMs)).toBe(false);
    expect(isFlatlined(flat, [flat, obs('a', 100n, 0, 1_000), obs('b', 100n, 0, 2_000)], NOW, policy.flatlineMs)).toBe(false);
  });

  const arbitraryObservations = fc.array(
    fc.record({ price: fc.bigInt({ min: 1n, max: 10n ** 24n }), age: fc.integer({ min: 0, max: 10_000 }) }),
    { minLength: 0, maxLength: 12 },
  ).map((rows) => rows.map((r, i) => obs(`s${i}`, r.price, r.age)));

  it('property: the price always lies within the min and max of the fresh, non-excluded sources', () => {
    fc.assert(fc.property(arbitraryObservations, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 5_000 }), (observations, quorum, maxDeviationBps) => {
      const a = aggregate(observations, NOW, { ...policy, maxDeviationBps }, quorum);
      if (a.price === null) return;
      const used = a.sources.filter((s) => s.state === 'used').map((s) => s.price);
      expect(used.length).toBeGreaterThanOrEqual(quorum);
      expect(a.price >= used.reduce((x, y) => (x < y ? x : y))).toBe(true);
      expect(a.price <= used.reduce((x, y) => (x > y ? x : y))).toBe(true);
      for (const s of a.sources) if (s.state === 'used') expect(NOW - s.timestamp).toBeLessThanOrEqual(policy.sourceStalenessMs);
    }), { numRuns: 500 });
  });

  it('property: with fewer fresh sources than the quorum the symbol is halted', () => {
    fc.assert(fc.property(arbitraryObservations, fc.integer({ min: 1, max: 8 }), (observations, quorum) => {
      const fresh = observations.filter((o) => NOW - o.timestamp <= policy.sourceStalenessMs).length;
      fc.pre(fresh < quorum);
      const a = aggregate(observations, NOW, policy, quorum);
      expect(a.status).toBe('halted');
      expect(a.price).toBeNull();
    }), { numRuns: 300 });
  });
});
