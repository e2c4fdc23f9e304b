/**
 * Post-quantum primitives from @noble/post-quantum (audited, pure JS): ML-KEM-768 (FIPS 203)
 * and ML-DSA-65 (FIPS 204). This file only checks lengths and maps failures to coded errors;
 * keys are the raw byte strings the standards define (Node 20 has no PEM/JWK for them).
 */
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';

import { cryptoError } from '../errors.js';

/** FIPS 203 Table 3 sizes for ML-KEM-768, and the 64-byte (d ‖ z) key generation seed. */
export const ML_KEM_768 = Object.freeze({ seed: 64, publicKey: 1184, secretKey: 2400, cipherText: 1088, sharedSecret: 32 });
/** FIPS 204 Table 2 sizes for ML-DSA-65; contexts are at most 255 bytes. */
export const ML_DSA_65 = Object.freeze({ seed: 32, publicKey: 1952, secretKey: 4032, signature: 3309, maxContext: 255 });

export interface PqKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export const mlKem768 = Object.freeze({
  /** Random key pair, or the deterministic one for a 64-byte seed (FIPS 203 ML-KEM.KeyGen_internal). */
  generateKeyPair(seed?: Uint8Array): PqKeyPair {
    if (seed !== undefined && seed.byteLength !== ML_KEM_768.seed) throw cryptoError('CRYPTO_KEY_INVALID', 'ML-KEM-768 seeds are 64 bytes');
    return ml_kem768.keygen(seed);
  },
  encapsulate(publicKey: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
    if (publicKey.byteLength !== ML_KEM_768.publicKey) throw cryptoError('CRYPTO_KEY_INVALID', 'ML-KEM-768 public keys are 1184 bytes');
    try {
      return ml_kem768.encapsulate(publicKey);
    } catch (error) {
      // FIPS 203 §7.2 encapsulation key check (coefficients reduced mod q).
      throw cryptoError('CRYPTO_KEY_INVALID', undefined, error);
    }
  },
  /** Implicit rejection (FIPS 203): a forged ciphertext yields a pseudorandom secret, not an error. */
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
    if (secretKey.byteLength !== ML_KEM_768.secretKey) throw cryptoError('CRYPTO_KEY_INVALID', 'ML-KEM-768 secret keys are 2400 bytes');
    if (cipherText.byteLength !== ML_KEM_768.cipherText) throw cryptoError('CRYPTO_FORMAT_INVALID');
    return ml_kem768.decapsulate(cipherText, secretKey);
  },
});

export const mlDsa65 = Object.freeze({
  generateKeyPair(seed?: Uint8Array): PqKeyPair {
    if (seed !== undefined && seed.byteLength !== ML_DSA_65.seed) throw cryptoError('CRYPTO_KEY_INVALID', 'ML-DSA-65 seeds are 32 bytes');
    return ml_dsa65.keygen(seed);
  },
  /** Hedged signing (fresh randomness), pure ML-DSA with an optional context string. */
  sign(message: Uint8Array, secretKey: Uint8Array, context?: Uint8Array): Uint8Array {
    if (secretKey.byteLength !== ML_DSA_65.secretKey) throw cryptoError('CRYPTO_KEY_INVALID', 'ML-DSA-65 secret keys are 4032 bytes');
    if (context !== undefined && context.byteLength > ML_DSA_65.maxContext) throw new TypeError('ML-DSA contexts are at most 255 bytes');
    return ml_dsa65.sign(message, secretKey, context === undefined ? {} : { context });
  },
  /**
   * A verdict; a malformed signature is simply invalid. A public key of the wrong size is
   * CRYPTO_KEY_INVALID; a context over 255 bytes is a TypeError (FIPS 204 forbids it).
   */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array, context?: Uint8Array): boolean {
    if (publicKey.byteLength !== ML_DSA_65.publicKey) throw cryptoError('CRYPTO_KEY_INVALID', 'ML-DSA-65 public keys are 1952 bytes');
    if (context !== undefined && context.byteLength > ML_DSA_65.maxContext) throw new TypeError('ML-DSA contexts are at most 255 bytes');
    if (signature.byteLength !== ML_DSA_65.signature) return false;
    try {
      return ml_dsa65.verify(signature, message, publicKey, context === undefined ? {} : { context });
    } catch {
      return false;
    }
  },
});
