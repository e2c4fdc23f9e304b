/**
 * AES key wrap with padding (RFC 5649, NIST SP 800-38F KWP) with a 256-bit KEK, through
 * node:crypto (`id-aes256-wrap-pad`). Used by the local KEK provider; the PKCS#11 provider asks
 * the token for the same mechanism (CKM_AES_KEY_WRAP_PAD), so both produce the same blob format.
 */
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';

import { cryptoError } from '../errors.js';

/** RFC 5649 §3: the alternative initial value's fixed 32-bit prefix (the MLI follows). */
const KWP_AIV_PREFIX = Buffer.from('a65959a6', 'hex');

function assertKek(kek: KeyObject): void {
  if (kek.type !== 'secret' || kek.symmetricKeySize !== 32) throw cryptoError('CRYPTO_KEY_INVALID', 'KEKs are AES-256 keys');
}

export function aesKwpWrap(kek: KeyObject, keyData: Uint8Array): Buffer {
  assertKek(kek);
  if (keyData.byteLength === 0) throw new TypeError('nothing to wrap');
  const cipher = createCipheriv('id-aes256-wrap-pad', kek, KWP_AIV_PREFIX);
  return Buffer.concat([cipher.update(keyData), cipher.final()]);
}

/** Unwraps and checks the RFC 5649 integrity value; any failure is CRYPTO_DECRYPT_FAILED. */
export function aesKwpUnwrap(kek: KeyObject, wrapped: Uint8Array): Buffer {
  assertKek(kek);
  // RFC 5649 output is n+1 64-bit blocks with n ≥ 1.
  if (wrapped.byteLength < 16 || wrapped.byteLength % 8 !== 0) throw cryptoError('CRYPTO_DECRYPT_FAILED');
  try {
    const decipher = createDecipheriv('id-aes256-wrap-pad', kek, KWP_AIV_PREFIX);
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch (error) {
    throw cryptoError('CRYPTO_DECRYPT_FAILED', undefined, error);
  }
}
