/**
 * RFC 6962 §2.1.1 PATH and §2.1.2 PROOF/SUBPROOF, written as "plans": the list of leaf ranges
 * [start, end) whose Merkle tree hashes form the proof, in proof order. Keeping the plan pure
 * separates the RFC's recursion from where the hashes come from (memory in tests, stored tiles
 * in the log).
 */
import { nodeHash, splitPoint } from './hash.js';

export interface LeafRange {
  start: number;
  end: number;
}

/** Ranges whose hashes make the audit path of leaf `index` in the tree of `size` leaves. */
export function inclusionPlan(index: number, size: number): LeafRange[] {
  assertSizes(index, size);
  if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  const plan: LeafRange[] = [];
  let start = 0;
  let end = size;
  const siblings: LeafRange[] = [];
  // Walk down from the root; siblings are collected top-down and emitted bottom-up.
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index - start < k) {
      siblings.push({ start: start + k, end });
      end = start + k;
    } else {
      siblings.push({ start, end: start + k });
      start += k;
    }
  }
  for (let i = siblings.length - 1; i >= 0; i--) plan.push(siblings[i] as LeafRange);
  return plan;
}

/**
 * Ranges whose hashes prove that the tree of `oldSize` leaves is a prefix of the tree of
 * `newSize` leaves. 0 < oldSize ≤ newSize; equal sizes need no proof.
 */
export function consistencyPlan(oldSize: number, newSize: number): LeafRange[] {
  assertSizes(oldSize, newSize);
  if (oldSize < 1 || oldSize > newSize) throw new RangeError(`no consistency proof from size ${oldSize} to ${newSize}`);
  const reversed: LeafRange[] = [];
  // SUBPROOF(m, D[start:end], flag), unrolled: the recursion is a single downward walk.
  let m = oldSize;
  let start = 0;
  let end = newSize;
  let complete = true;
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      reversed.push({ start: start + k, end });
      end = start + k;
    } else {
      reversed.push({ start, end: start + k });
      m -= k;
      start += k;
      complete = false;
    }
  }
  // m == n: the subtree itself is part of the proof unless it is the whole old tree.
  if (!complete) reversed.push({ start, end });
  return reversed.reverse();
}

/**
 * Decomposes an RFC-aligned range (start a multiple of the largest power of two ≤ its length, as
 * every range of the plans above is) into perfect subtrees, largest first: level and index.
 */
export function perfectSubtrees(range: LeafRange): { level: number; index: number }[] {
  const parts: { level: number; index: number }[] = [];
  let start = range.start;
  while (start < range.end) {
    let level = 0;
    while (start % 2 ** (level + 1) === 0 && start + 2 ** (level + 1) <= range.end) level++;
    parts.push({ level, index: start / 2 ** level });
    start += 2 ** level;
  }
  return parts;
}

/** The Merkle tree hash of a range from the hashes of its perfect subtrees (largest first). */
export function foldSubtrees(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) throw new RangeError('an empty range has no subtree hashes');
  let hash = hashes[hashes.length - 1] as Buffer;
  for (let i = hashes.length - 2; i >= 0; i--) hash = nodeHash(hashes[i] as Buffer, hash);
  return hash;
}

function assertSizes(a: number, b: number): void {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 0 || b < 0) {
    throw new RangeError('tree sizes and leaf indexes must be non-negative safe integers');
  }
}
