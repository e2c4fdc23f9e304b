/**
 * The right edge of an append-only RFC 6962 tree: one perfect-subtree hash per set bit of the
 * tree size, largest first ("compact range" in transparency-dev terms). Appending a leaf and
 * computing the root are O(log n), so the writer never re-reads old leaves. The same structure
 * folds a stream of leaves during verification.
 */
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hash.js';

/** A perfect subtree finished by an append: `level` 0 is a leaf; it covers leaves [index·2^level, (index+1)·2^level). */
export interface CompletedNode {
  level: number;
  index: number;
  hash: Buffer;
}

export class CompactRange {
  #size: number;
  /** Hashes of the perfect subtrees, left to right (largest first). */
  readonly #hashes: Buffer[];

  private constructor(size: number, hashes: Buffer[]) {
    this.#size = size;
    this.#hashes = hashes;
  }

  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /** Rebuilds the range stored by `serialize()`; the hash count must match the size's set bits. */
  static deserialize(size: number, bytes: Uint8Array): CompactRange {
    if (!Number.isSafeInteger(size) || size < 0) throw new TypeError('compact range size must be a non-negative safe integer');
    if (bytes.length !== popCount(size) * HASH_SIZE) throw new TypeError('compact range does not match its tree size');
    const hashes: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += HASH_SIZE) hashes.push(Buffer.from(bytes.subarray(at, at + HASH_SIZE)));
    return new CompactRange(size, hashes);
  }

  get size(): number {
    return this.#size;
  }

  serialize(): Buffer {
    return Buffer.concat(this.#hashes, this.#hashes.length * HASH_SIZE);
  }

  /**
   * Appends one leaf hash. `onNode` sees every perfect subtree the append completes (levels ≥ 1),
   * which is how the writer stores tile nodes for later proofs.
   */
  append(leaf: Buffer, onNode?: (node: CompletedNode) => void): void {
    const index = this.#size;
    let hash = leaf;
    let level = 0;
    // Each trailing one-bit of the old size is a left sibling that now has its right partner.
    for (let bits = index; bits % 2 === 1; bits = Math.floor(bits / 2)) {
      const left = this.#hashes.pop() as Buffer;
      hash = nodeHash(left, hash);
      level++;
      onNode?.({ level, index: Math.floor(index / 2 ** level), hash });
    }
    this.#hashes.push(hash);
    this.#size = index + 1;
  }

  /**
   * Appends a whole perfect subtree of 2^level leaves whose root is `hash` — what a parallel
   * verifier computed for one aligned chunk. The size must be a multiple of 2^level, so the
   * subtree lands exactly where its leaves would have. `onNode` sees the nodes the merge completes.
   */
  appendSubtree(hash: Buffer, level: number, onNode?: (node: CompletedNode) => void): void {
    const width = 2 ** level;
    if (!Number.isSafeInteger(width) || level < 0 || this.#size % width !== 0) {
      throw new RangeError(`a subtree of level ${level} cannot be appended at size ${this.#size}`);
    }
    let index = this.#size / width;
    let merged = hash;
    let at = level;
    for (; index % 2 === 1; index = Math.floor(index / 2)) {
      merged = nodeHash(this.#hashes.pop() as Buffer, merged);
      at++;
      onNode?.({ level: at, index: Math.floor(index / 2), hash: merged });
    }
    this.#hashes.push(merged);
    this.#size += width;
  }

  /** The subtree hashes, largest first (a chunk's partial range, to splice after a prefix). */
  hashes(): readonly Buffer[] {
    return this.#hashes;
  }

  /**
   * The root of `prefix` followed by `suffix`. Valid when the prefix's size is a multiple of 2^k
   * and the suffix (a range of its own, from leaf 0) covers fewer than 2^k leaves: then the
   * suffix's subtrees are aligned exactly as they would be after the prefix.
   */
  static rootOfSpliced(prefix: readonly Buffer[], suffix: readonly Buffer[]): Buffer {
    return foldRoot([...prefix, ...suffix]);
  }


  /** MTH of the whole range: fold the subtree hashes right to left. */
  root(): Buffer {
    return foldRoot(this.#hashes);
  }


  clone(): CompactRange {
    return new CompactRange(this.#size, [...this.#hashes]);
  }
}

/** MTH of a compact range's subtree hashes (largest first): folded right to left. */
function foldRoot(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  let root = hashes[hashes.length - 1] as Buffer;
  for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i] as Buffer, root);
  return root;
}

function popCount(n: number): number {
  let count = 0;
  for (let v = n; v > 0; v = Math.floor(v / 2)) count += v % 2;
  return count;
}

/** MTH of a list of leaf hashes (tests, small trees). */
export function rootOfLeaves(leaves: readonly Buffer[]): Buffer {
  const range = CompactRange.empty();
  for (const leaf of leaves) range.append(leaf);
  return range.root();
}
