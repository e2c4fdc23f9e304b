/**
 * Classical signatures through node:crypto: RSASSA-PSS (RFC 8017 §8.1; SHA-256, MGF1-SHA-256,
 * 32-byte salt), ECDSA P-256 with SHA-256 (FIPS 186-5; IEEE P1363 r‖s encoding by default, as
 * JOSE uses) and Ed25519 (RFC 8032). `verify` returns a verdict: a bad signature is an expected
 * outcome, not an exception; only a key of the wrong kind is an error (CRYPTO_KEY_INVALID).
 */
import { constants, generateKeyPair, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';

import { cryptoError } from '../errors.js';
import { keyAlgorithm } from './key-formats.js';
import { assertRsaKey } from './rsa-oaep.js';

export type SignatureAlgorithm = 'RSA-PSS-SHA256' | 'ECDSA-P256-SHA256' | 'Ed25519';

export interface SignatureOptions {
  /** ECDSA only: `ieee-p1363` (64 bytes r‖s, default) or `der`. */
  ecdsaEncoding?: 'ieee-p1363' | 'der';
}

const PSS_SALT_BYTES = 32;

function parameters(alg: SignatureAlgorithm, key: KeyObject, options: SignatureOptions) {
  switch (alg) {
    case 'RSA-PSS-SHA256':
      assertRsaKey(key);
      return { digest: 'sha256', key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_BYTES } };
    case 'ECDSA-P256-SHA256':
      if (keyAlgorithm(key) !== 'P-256') throw cryptoError('CRYPTO_KEY_INVALID', 'ECDSA-P256-SHA256 needs a P-256 key');
      return { digest: 'sha256', key: { key, dsaEncoding: options.ecdsaEncoding ?? 'ieee-p1363' } };
    case 'Ed25519':
      if (keyAlgorithm(key) !== 'Ed25519') throw cryptoError('CRYPTO_KEY_INVALID', 'Ed25519 needs an Ed25519 key');
      return { digest: null, key: { key } };
    default:
      throw new TypeError(`unsupported signature algorithm ${String(alg)}`);
  }
}

export function sign(alg: SignatureAlgorithm, privateKey: KeyObject, message: Uint8Array, options: SignatureOptions = {}): Buffer {
  if (privateKey.type !== 'private') throw cryptoError('CRYPTO_KEY_INVALID', 'signing needs a private key');
  const p = parameters(alg, privateKey, options);
  return nodeSign(p.digest, message, p.key);
}

export function verify(alg: SignatureAlgorithm, publicKey: KeyObject, message: Uint8Array, signature: Uint8Array, options: SignatureOptions = {}): boolean {
  const p = parameters(alg, publicKey, options);
  try {
    return nodeVerify(p.digest, message, p.key, signature);
  } catch {
    // OpenSSL rejects some malformed encodings by throwing: still just "not valid".
    return false;
  }
}

export function generateSigningKeyPair(alg: SignatureAlgorithm): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, publicKey: KeyObject, privateKey: KeyObject) => (error ? reject(error) : resolve({ publicKey, privateKey }));
    if (alg === 'RSA-PSS-SHA256') generateKeyPair('rsa', { modulusLength: 3072 }, done);
    else if (alg === 'ECDSA-P256-SHA256') generateKeyPair('ec', { namedCurve: 'prime256v1' }, done);
    else if (alg === 'Ed25519') generateKeyPair('ed25519', {}, done);
    else reject(new TypeError(`unsupported signature algorithm ${String(alg)}`));
  });
}
