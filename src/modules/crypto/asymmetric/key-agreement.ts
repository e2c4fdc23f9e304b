/**
 * ECDH key agreement (P-256: SP 800-56A; X25519: RFC 7748) through node:crypto, then
 * HKDF-SHA256 (RFC 5869) to an AES-256-GCM session key. The public key is validated on import
 * (on the curve, right type); an all-zero X25519 result (a low-order peer key, RFC 7748 §6.1)
 * is refused.
 */
import { diffieHellman, generateKeyPair, type KeyObject } from 'node:crypto';

import { cryptoError } from '../errors.js';
import { lengthPrefixed, zeroize } from '../primitives/bytes.js';
import { hkdfSha256 } from '../primitives/kdf.js';
import { keyAlgorithm } from './key-formats.js';
import { createSessionKey, type SessionKey } from './session-key.js';

export type EcdhCurve = 'P-256' | 'X25519';

export function generateEcdhKeyPair(curve: EcdhCurve): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, publicKey: KeyObject, privateKey: KeyObject) => (error ? reject(error) : resolve({ publicKey, privateKey }));
    if (curve === 'P-256') generateKeyPair('ec', { namedCurve: 'prime256v1' }, done);
    else if (curve === 'X25519') generateKeyPair('x25519', {}, done);
    else reject(new TypeError(`unsupported curve ${String(curve)}`));
  });
}

/** The raw ECDH shared secret (x-coordinate for P-256, u-coordinate for X25519). */
export function ecdhSharedSecret(privateKey: KeyObject, peerPublicKey: KeyObject): Buffer {
  const curve = keyAlgorithm(privateKey);
  if ((curve !== 'P-256' && curve !== 'X25519') || privateKey.type !== 'private') {
    throw cryptoError('CRYPTO_KEY_INVALID', 'ECDH needs a P-256 or X25519 private key');
  }
  if (peerPublicKey.type !== 'public' || keyAlgorithm(peerPublicKey) !== curve) {
    throw cryptoError('CRYPTO_KEY_INVALID', 'the peer key is not a public key on the same curve');
  }
  let secret: Buffer;
  try {
    secret = diffieHellman({ privateKey, publicKey: peerPublicKey });
  } catch (error) {
    throw cryptoError('CRYPTO_KEY_INVALID', undefined, error);
  }
  // RFC 7748 §6.1: an all-zero X25519 output means a low-order peer key. (For P-256 a zero
  // x-coordinate is a legitimate point; invalid points were refused at import.)
  if (curve === 'X25519' && secret.every((byte) => byte === 0)) throw cryptoError('CRYPTO_KEY_INVALID', 'low-order peer key');
  return secret;
}

export interface AgreementInput {
  privateKey: KeyObject;
  peerPublicKey: KeyObject;
  /** Binds the key to its use, e.g. "q2 export session 2026-01-01". Both sides pass the same. */
  info: string | Uint8Array;
  /** Optional HKDF salt, e.g. both parties' nonces. */
  salt?: Uint8Array;
}

/** ECDH → HKDF-SHA256(secret, salt, "q2/ecdh/v1" ‖ curve ‖ info) → AES-256-GCM session key. */
export function agreeSessionKey(input: AgreementInput): SessionKey {
  const secret = ecdhSharedSecret(input.privateKey, input.peerPublicKey);
  try {
    const info = lengthPrefixed(['q2/ecdh/v1', keyAlgorithm(input.privateKey), input.info]);
    return createSessionKey(hkdfSha256(secret, input.salt ?? Buffer.alloc(0), info, 32));
  } finally {
    zeroize(secret);
  }
}
