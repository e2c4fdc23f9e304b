/**
 * RSAES-OAEP (RFC 8017 §7.1) with SHA-256 and MGF1-SHA-256, through node:crypto. Keys of at
 * least 2048 bits; generation offers 2048 and 4096. Decryption failures are one indistinct
 * CRYPTO_DECRYPT_FAILED (no padding oracle through error details).
 */
import { constants, generateKeyPair, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';

import { cryptoError } from '../errors.js';

export type RsaModulusBits = 2048 | 4096;

export function generateRsaKeyPair(bits: RsaModulusBits): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  if (bits !== 2048 && bits !== 4096) throw new TypeError('RSA keys are 2048 or 4096 bits');
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: bits, publicExponent: 0x10001 }, (error, publicKey, privateKey) =>
      error ? reject(error) : resolve({ publicKey, privateKey }),
    );
  });
}

export function assertRsaKey(key: KeyObject): void {
  const type = key.asymmetricKeyType;
  if ((type !== 'rsa' && type !== 'rsa-pss') || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw cryptoError('CRYPTO_KEY_INVALID', 'an RSA key of at least 2048 bits is required');
  }
}

export function rsaOaepEncrypt(publicKey: KeyObject, plaintext: Uint8Array, label?: Uint8Array): Buffer {
  assertRsaKey(publicKey);
  return publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', ...(label ? { oaepLabel: label } : {}) },
    plaintext,
  );
}

export function rsaOaepDecrypt(privateKey: KeyObject, ciphertext: Uint8Array, label?: Uint8Array): Buffer {
  assertRsaKey(privateKey);
  try {
    return privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', ...(label ? { oaepLabel: label } : {}) },
      ciphertext,
    );
  } catch (error) {
    throw cryptoError('CRYPTO_DECRYPT_FAILED', undefined, error);
  }
}
