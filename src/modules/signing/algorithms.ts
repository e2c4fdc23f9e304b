/**
 * The two RFC 9421 §3.3 algorithms Q2 accepts, through node:crypto only: `hmac-sha256`
 * (§3.3.3, a shared secret) and `ed25519` (§3.3.6, EdDSA over Curve25519 per RFC 8032). HMAC
 * tags are compared in constant time; Ed25519 verification is OpenSSL's.
 */
import { createHmac, createPrivateKey, createPublicKey, createSecretKey, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { SignatureAlgorithm } from './types.js';

export type VerifyingKey =
  | { algorithm: 'hmac-sha256'; secret: KeyObject }
  | { algorithm: 'ed25519'; publicKey: KeyObject };

export type SigningKey =
  | { algorithm: 'hmac-sha256'; secret: KeyObject }
  | { algorithm: 'ed25519'; privateKey: KeyObject };

const HMAC_TAG_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;
/** RFC 2104 §3: a key shorter than the hash output weakens HMAC; Q2 issues 32-byte secrets. */
export const MIN_HMAC_SECRET_BYTES = 32;

export function signBytes(key: SigningKey, data: Uint8Array): Buffer {
  if (key.algorithm === 'hmac-sha256') return createHmac('sha256', key.secret).update(data).digest();
  return sign(null, data, key.privateKey);
}

/** True when `signature` is valid for `data`; lengths are public, the comparison is constant-time. */
export function verifyBytes(key: VerifyingKey, data: Uint8Array, signature: Uint8Array): boolean {
  if (key.algorithm === 'hmac-sha256') {
    if (signature.length !== HMAC_TAG_BYTES) return false;
    const expected = createHmac('sha256', key.secret).update(data).digest();
    return timingSafeEqual(expected, signature);
  }
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
  return verify(null, data, key.publicKey, signature);
}

/**
 * `verifyBytes` for a server's request path: an Ed25519 verification (≈ 80 µs here, most of a
 * signed request's cost) runs on libuv's thread pool instead of the event loop, which meanwhile
 * serves other requests; the HMAC check (a few µs) stays inline, as a thread hop would cost more.
 */
export function verifyBytesOffThread(key: VerifyingKey, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (key.algorithm === 'hmac-sha256' || signature.length !== ED25519_SIGNATURE_BYTES) return Promise.resolve(verifyBytes(key, data, signature));
  return new Promise((resolve, reject) => {
    verify(null, data, key.publicKey, signature, (error, valid) => (error ? reject(error) : resolve(valid)));
  });
}

/** A verifying key from stored material: the raw HMAC secret, or an Ed25519 SPKI (PEM or DER). */
export function verifyingKeyFrom(algorithm: SignatureAlgorithm, material: string | Uint8Array): VerifyingKey {
  if (algorithm === 'hmac-sha256') {
    if (typeof material === 'string') throw new TypeError('an HMAC secret is bytes');
    return { algorithm, secret: createSecretKey(material) };
  }
  const publicKey = typeof material === 'string'
    ? createPublicKey({ key: material, format: 'pem' })
    : createPublicKey({ key: Buffer.from(material), format: 'der', type: 'spki' });
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TypeError('not an Ed25519 public key');
  return { algorithm, publicKey };
}

/** A signing key: the raw HMAC secret, or an Ed25519 private key (KeyObject, PKCS#8 PEM or DER). */
export function signingKeyFrom(algorithm: SignatureAlgorithm, material: string | Uint8Array | KeyObject): SigningKey {
  if (algorithm === 'hmac-sha256') {
    if (typeof material === 'string' || !(material instanceof Uint8Array)) throw new TypeError('an HMAC secret is bytes');
    return { algorithm, secret: createSecretKey(material) };
  }
  const privateKey = typeof material === 'string'
    ? createPrivateKey({ key: material, format: 'pem' })
    : material instanceof Uint8Array ? createPrivateKey({ key: Buffer.from(material), format: 'der', type: 'pkcs8' }) : material;
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('not an Ed25519 private key');
  return { algorithm, privateKey };
}
