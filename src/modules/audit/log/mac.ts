/**
 * The per-entry MAC: HMAC-SHA256(entry MAC key, seq as 8 bytes big-endian ‖ leaf hash). The chain
 * and the tree make any change detectable against a signed head; the MAC is what names the exact
 * entry when an attacker with database access rewrote an entry AND recomputed every hash after
 * it (which needs no secret), and what lets the signer sign only leaves a key holder wrote. The
 * seq is inside the MAC so that a genuine (leaf, MAC) pair cannot be moved to another position.
 */
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

export function entryMac(key: KeyObject | Buffer, seq: number, leaf: Buffer): Buffer {
  const position = Buffer.alloc(8);
  position.writeBigUInt64BE(BigInt(seq));
  return createHmac('sha256', key).update(position).update(leaf).digest();
}

export function macMatches(key: KeyObject | Buffer, seq: number, leaf: Buffer, mac: Buffer): boolean {
  return mac.length === 32 && leaf.length === 32 && timingSafeEqual(entryMac(key, seq, leaf), mac);
}
