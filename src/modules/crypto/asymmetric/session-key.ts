/**
 * A session key agreed by ECDH or the hybrid KEM: AES-256-GCM with random 96-bit nonces.
 * Sealed form: nonce(12) ‖ ciphertext ‖ tag(16). The key refuses to seal more than 2^30 messages
 * (random-nonce collision bound, NIST SP 800-38D §8.3); agree a new one before that.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';

import { cryptoError } from '../errors.js';
import { aesGcmOpen, aesGcmSeal, GCM_NONCE_BYTES, GCM_TAG_BYTES, randomNonce } from '../primitives/aes-gcm.js';
import { zeroize } from '../primitives/bytes.js';

const MAX_SEALS = 2 ** 30;

export interface SessionKey {
  seal(plaintext: Uint8Array, aad?: Uint8Array): Buffer;
  /** CRYPTO_DECRYPT_FAILED on any tampering or a wrong key. */
  open(sealed: Uint8Array, aad?: Uint8Array): Buffer;
}

/** Wraps 32 key bytes (which it zeroes: the KeyObject keeps the only copy). */
export function createSessionKey(keyBytes: Buffer): SessionKey {
  let key: KeyObject;
  try {
    key = createSecretKey(keyBytes);
  } finally {
    zeroize(keyBytes);
  }
  let seals = 0;
  return {
    seal(plaintext, aad) {
      if (seals >= MAX_SEALS) throw cryptoError('CRYPTO_ROTATION_REQUIRED', 'session key exhausted; agree a new one');
      seals += 1;
      const nonce = randomNonce();
      const { ciphertext, tag } = aesGcmSeal(key, nonce, plaintext, aad);
      return Buffer.concat([nonce, ciphertext, tag]);
    },
    open(sealed, aad) {
      if (sealed.byteLength < GCM_NONCE_BYTES + GCM_TAG_BYTES) throw cryptoError('CRYPTO_FORMAT_INVALID');
      const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
      return aesGcmOpen(
        key,
        bytes.subarray(0, GCM_NONCE_BYTES),
        bytes.subarray(GCM_NONCE_BYTES, bytes.length - GCM_TAG_BYTES),
        bytes.subarray(bytes.length - GCM_TAG_BYTES),
        aad,
      );
    },
  };
}
