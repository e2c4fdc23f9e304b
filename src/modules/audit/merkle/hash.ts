/**
 * RFC 6962 §2.1 (= RFC 9162 §2.1.1) hashing with SHA-256: the leaf and node prefixes are what
 * makes a leaf impossible to pass off as an interior node (second-preimage protection).
 *
 *   leaf  = SHA-256(0x00 ‖ entry)
 *   node  = SHA-256(0x01 ‖ left ‖ right)
 *   empty = SHA-256("")
 */
import { hash } from 'node:crypto';

export const HASH_SIZE = 32;

/** MTH({}) — the root of the empty tree. */
export const EMPTY_ROOT: Buffer = hash('sha256', Buffer.alloc(0), 'buffer');

/**
 * The leaf hash of `entry`. A string is hashed as its UTF-8 bytes; the leading U+0000 code point
 * is the single byte 0x00 in UTF-8, so prefixing it to the string is exactly the RFC's prefix.
 */
export function leafHash(entry: string | Uint8Array): Buffer {
  if (typeof entry === 'string') return hash('sha256', `\u0000${entry}`, 'buffer');
  return hash('sha256', Buffer.concat([LEAF_PREFIX, entry]), 'buffer');
}

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** The interior node over two child hashes. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([NODE_PREFIX, left, right], 1 + left.length + right.length), 'buffer');
}

/** Largest power of two strictly below `n` (n ≥ 2): the RFC's split point `k`. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
