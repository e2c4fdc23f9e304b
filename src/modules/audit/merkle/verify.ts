/**
 * RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) proof verification, the algorithms
 * RFC 6962 clients use. Pure functions returning a verdict: a bad proof is an expected outcome,
 * not an exception. Sizes are safe integers; anything else (negative, fractional, ≥ 2^53) is
 * rejected as malformed rather than silently rounded.
 */
import { HASH_SIZE, nodeHash } from './hash.js';

export type ProofVerdict = { ok: true } | { ok: false; reason: string };

const OK: ProofVerdict = Object.freeze({ ok: true });
const fail = (reason: string): ProofVerdict => ({ ok: false, reason });

const isSize = (n: number) => Number.isSafeInteger(n) && n >= 0;
const odd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

/** Recomputes the root from a leaf hash and its audit path; null when the path is malformed. */
export function rootFromInclusionProof(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[]): Buffer | null {
  if (!isSize(index) || !isSize(size) || index >= size) return null;
  if (leaf.length !== HASH_SIZE || proof.some((p) => p.length !== HASH_SIZE)) return null;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return null; // more components than the path has levels
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // A right-edge node with no right sibling is promoted: skip levels until fn is a right child.
      if (!odd(fn)) while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null;
}

export function verifyInclusion(
  index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array,
): ProofVerdict {
  if (!isSize(index) || !isSize(size)) return fail('leaf index and tree size must be non-negative safe integers');
  if (index >= size) return fail('leaf index is outside the tree');
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  if (computed === null) return fail('malformed inclusion proof');
  return computed.equals(root) ? OK : fail('inclusion proof does not lead to the root');
}

export function verifyConsistency(
  size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array,
): ProofVerdict {
  if (!isSize(size1) || !isSize(size2)) return fail('tree sizes must be non-negative safe integers');
  if (size1 > size2) return fail('the first tree is larger than the second');
  // Every tree extends the empty tree; a "proof" of that proves nothing, so it is refused.
  if (size1 === 0) return fail('consistency with the empty tree is not a proof');
  if (size1 === size2) {
    if (proof.length > 0) return fail('equal sizes take an empty proof');
    return Buffer.from(root1).equals(root2) ? OK : fail('equal sizes but different roots');
  }
  if (proof.length === 0) return fail('empty consistency proof');
  if (proof.some((p) => p.length !== HASH_SIZE)) return fail('malformed consistency proof');

  // When the old tree is a perfect subtree of the new one, its root is the proof's implicit head.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) { fn = half(fn); sn = half(sn); }
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr: Buffer = Buffer.from(path[0] as Uint8Array);
  for (const c of path.slice(1)) {
    if (sn === 0) return fail('consistency proof too long');
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return fail('consistency proof too short');
  if (!fr.equals(root1)) return fail('consistency proof does not lead to the first root');
  if (!sr.equals(root2)) return fail('consistency proof does not lead to the second root');
  return OK;
}

function isPowerOfTwo(n: number): boolean {
  let v = n;
  while (v > 1 && v % 2 === 0) v /= 2;
  return v === 1;
}
