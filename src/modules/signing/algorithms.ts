/**
 * The two RFC 9421 §3.3 algorithms Q2 accepts: `hmac-sha256` (§3.3.3, a shared secret) and
 * `ed25519` (§3.3.6, EdDSA over Curve25519 per RFC 8032). Keys, HMAC and signing through
 * node:crypto; HMAC tags are compared in constant time; Ed25519 verification is libsodium's
 * (ed25519-verify.ts says why).
 */
import { createHmac, createPrivateKey, createPublicKey, createSecretKey, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { rawEd25519PublicKey, verifyEd25519 } from './ed25519-verify.js';
import type { SignatureAlgorithm } from './types.js';

export type VerifyingKey =
  | { algorithm: 'hmac-sha256'; secret: KeyObject }
  /** `raw`: the 32 public key bytes, taken from `publicKey` once. */
  | { algorithm: 'ed25519'; publicKey: KeyObject; raw: Uint8Array };

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
  return verifyEd25519(key.raw, data, signature);
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
  return { algorithm, publicKey, raw: rawEd25519PublicKey(publicKey) };
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
