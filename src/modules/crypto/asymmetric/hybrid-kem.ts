/**
 * Hybrid post-quantum key exchange: X-Wing (draft-connolly-cfrg-xwing-kem), i.e. X25519 +
 * ML-KEM-768 combined with SHA3-256(ss_MLKEM ‖ ss_X25519 ‖ ct_X25519 ‖ pk_X25519 ‖ label), from
 * @noble/post-quantum. The session stays secret while either component holds. The shared secret
 * goes through HKDF-SHA256 with a caller-given info into an AES-256-GCM session key.
 *
 * Sizes: public key 1216 bytes, secret key 32 bytes (a seed), encapsulation 1120 bytes.
 */
import { XWing } from '@noble/post-quantum/hybrid.js';

import { cryptoError } from '../errors.js';
import { lengthPrefixed, zeroize } from '../primitives/bytes.js';
import { hkdfSha256 } from '../primitives/kdf.js';
import { createSessionKey, type SessionKey } from './session-key.js';
import type { PqKeyPair } from './post-quantum.js';

export const HYBRID_X25519_MLKEM768 = Object.freeze({ publicKey: 1216, secretKey: 32, encapsulation: 1120 });

function sessionFrom(sharedSecret: Uint8Array, info: string | Uint8Array): SessionKey {
  const secret = Buffer.from(sharedSecret);
  zeroize(sharedSecret);
  try {
    return createSessionKey(hkdfSha256(secret, Buffer.alloc(0), lengthPrefixed(['q2/hybrid/x25519-mlkem768/v1', info]), 32));
  } finally {
    zeroize(secret);
  }
}

export const hybridKem = Object.freeze({
  generateKeyPair(): PqKeyPair {
    return XWing.keygen();
  },
  /** Sender side: an encapsulation to send, and the session key. */
  encapsulate(publicKey: Uint8Array, info: string | Uint8Array): { encapsulation: Uint8Array; sessionKey: SessionKey } {
    if (publicKey.byteLength !== HYBRID_X25519_MLKEM768.publicKey) throw cryptoError('CRYPTO_KEY_INVALID', 'hybrid public keys are 1216 bytes');
    let result: { cipherText: Uint8Array; sharedSecret: Uint8Array };
    try {
      result = XWing.encapsulate(publicKey);
    } catch (error) {
      throw cryptoError('CRYPTO_KEY_INVALID', undefined, error);
    }
    return { encapsulation: result.cipherText, sessionKey: sessionFrom(result.sharedSecret, info) };
  },
  /** Receiver side. A forged encapsulation yields a different key (implicit rejection), so the first open fails. */
  decapsulate(encapsulation: Uint8Array, secretKey: Uint8Array, info: string | Uint8Array): SessionKey {
    if (secretKey.byteLength !== HYBRID_X25519_MLKEM768.secretKey) throw cryptoError('CRYPTO_KEY_INVALID', 'hybrid secret keys are 32 bytes');
    if (encapsulation.byteLength !== HYBRID_X25519_MLKEM768.encapsulation) throw cryptoError('CRYPTO_FORMAT_INVALID');
    let shared: Uint8Array;
    try {
      shared = XWing.decapsulate(encapsulation, secretKey);
    } catch (error) {
      throw cryptoError('CRYPTO_DECRYPT_FAILED', undefined, error);
    }
    return sessionFrom(shared, info);
  },
});
