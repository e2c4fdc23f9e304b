/**
 * AES-256-GCM (NIST SP 800-38D) through node:crypto, fixed to a 256-bit key, a 96-bit nonce and a
 * 128-bit tag. Callers never pick these sizes: anything else is rejected, so a truncated tag or a
 * short nonce cannot slip in through data.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomFillSync, type KeyObject } from 'node:crypto';

import { cryptoError } from '../errors.js';

export const AES_KEY_BYTES = 32;
export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;

const NONCE_POOL_BYTES = GCM_NONCE_BYTES * 512;
let noncePool = Buffer.alloc(0);
let noncePoolOffset = 0;

/**
 * 96 fresh random bits from the OS CSPRNG, drawn from a pool to avoid one syscall per
 * encryption. Invariant: a pool slice is handed out exactly once and the pool is replaced, never
 * refilled in place, so a returned nonce is never overwritten or handed out again.
 */
export function randomNonce(): Buffer {
  if (noncePoolOffset + GCM_NONCE_BYTES > noncePool.length) {
    noncePool = randomFillSync(Buffer.allocUnsafe(NONCE_POOL_BYTES));
    noncePoolOffset = 0;
  }
  const nonce = noncePool.subarray(noncePoolOffset, noncePoolOffset + GCM_NONCE_BYTES);
  noncePoolOffset += GCM_NONCE_BYTES;
  return nonce;
}

/** Imports 32 raw bytes as an AES-256 key; any other length is CRYPTO_KEY_INVALID. */
export function importAesKey(raw: Uint8Array): KeyObject {
  if (raw.byteLength !== AES_KEY_BYTES) throw cryptoError('CRYPTO_KEY_INVALID', 'AES-256 keys are 32 bytes');
  return createSecretKey(raw);
}

/** Keys already checked: the check reads native getters, too slow to repeat per field. */
const checkedKeys = new WeakSet<KeyObject>();

function assertAesKey(key: KeyObject): void {
  if (checkedKeys.has(key)) return;
  if (key.type !== 'secret' || key.symmetricKeySize !== AES_KEY_BYTES) {
    throw cryptoError('CRYPTO_KEY_INVALID', 'AES-256 keys are 32 bytes');
  }
  checkedKeys.add(key);
}

export interface GcmSealed {
  ciphertext: Buffer;
  tag: Buffer;
}

/** Encrypts under `nonce`; the caller guarantees the nonce is fresh for this key. */
export function aesGcmSeal(key: KeyObject, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): GcmSealed {
  assertAesKey(key);
  if (nonce.byteLength !== GCM_NONCE_BYTES) throw new TypeError('AES-GCM nonces are 12 bytes');
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
  if (aad !== undefined) cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const rest = cipher.final();
  return { ciphertext: rest.length === 0 ? body : Buffer.concat([body, rest]), tag: cipher.getAuthTag() };
}

/**
 * Encrypts under `nonce` and writes ciphertext ‖ tag into `out` at `offset` (which must have
 * room for plaintext length + 16 bytes). Saves the copy a separate envelope buffer would need.
 */
export function aesGcmSealInto(key: KeyObject, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array | undefined, out: Buffer, offset: number): void {
  assertAesKey(key);
  if (nonce.byteLength !== GCM_NONCE_BYTES) throw new TypeError('AES-GCM nonces are 12 bytes');
  if (out.length - offset < plaintext.byteLength + GCM_TAG_BYTES) throw new RangeError('output buffer too small');
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
  if (aad !== undefined) cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  out.set(body, offset);
  let end = offset + body.length;
  const rest = cipher.final();
  if (rest.length > 0) {
    out.set(rest, end);
    end += rest.length;
  }
  out.set(cipher.getAuthTag(), end);
}

/**
 * Decrypts and authenticates. Any failure (tag, nonce or tag length, AAD) is the same
 * CRYPTO_DECRYPT_FAILED, so the error says nothing about which check failed.
 */
export function aesGcmOpen(key: KeyObject, nonce: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad?: Uint8Array): Buffer {
  assertAesKey(key);
  if (nonce.byteLength !== GCM_NONCE_BYTES || tag.byteLength !== GCM_TAG_BYTES) throw cryptoError('CRYPTO_DECRYPT_FAILED');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
    decipher.setAuthTag(tag);
    if (aad !== undefined) decipher.setAAD(aad);
    const body = decipher.update(ciphertext);
    const rest = decipher.final();
    return rest.length === 0 ? body : Buffer.concat([body, rest]);
  } catch (error) {
    throw cryptoError('CRYPTO_DECRYPT_FAILED', undefined, error);
  }
}
