/** The signer's memory of its own leaves: exact lookups, bounded size, forgetting what is signed. */
import { describe, expect, it } from 'vitest';

import { leafHash } from '../merkle/hash.js';
import { WrittenLeaves } from './written-leaves.js';

const leaves = (from: number, n: number) => Array.from({ length: n }, (_, i) => leafHash(`leaf ${from + i}`));

describe('WrittenLeaves', () => {
  it('finds each remembered leaf by seq, across runs written out of order (replicas interleave)', () => {
    const w = new WrittenLeaves();
    w.add(10, leaves(10, 5));
    w.add(0, leaves(0, 3));
    w.add(20, leaves(20, 2));
    for (const seq of [0, 2, 10, 14, 20, 21]) expect(w.get(seq)?.equals(leafHash(`leaf ${seq}`)), `seq ${seq}`).toBe(true);
    for (const seq of [3, 9, 15, 19, 22, -1]) expect(w.get(seq)).toBeUndefined();
  });

  it('forgets runs entirely below a signed size', () => {
    const w = new WrittenLeaves();
    w.add(0, leaves(0, 4));
    w.add(4, leaves(4, 4));
    w.dropBelow(5);
    expect(w.get(1)).toBeUndefined();
    expect(w.get(6)?.equals(leafHash('leaf 6'))).toBe(true);
  });

  it('drops the oldest runs beyond its limit (those leaves fall back to the MAC check)', () => {
    const w = new WrittenLeaves(6);
    w.add(0, leaves(0, 4));
    w.add(4, leaves(4, 4));
    expect(w.get(0)).toBeUndefined();
    expect(w.get(7)?.equals(leafHash('leaf 7'))).toBe(true);
  });
});
