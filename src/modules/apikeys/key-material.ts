/**
 * Key material of API keys, through node:crypto (and libsodium's point check). Ed25519 public
 * keys arrive as RFC 5280 SubjectPublicKeyInfo PEM (RFC 7468 `PUBLIC KEY`, RFC 8410 OID), must
 * be a point the verifier can use, and are stored re-exported in canonical form; HMAC-SHA256
 * secrets are 256 random bits, generated here and never chosen by the client (a chosen secret
 * could be weak or shared with another system).
 */
import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { isUsableEd25519PublicKey, MIN_HMAC_SECRET_BYTES, rawEd25519PublicKey } from '../signing/index.js';

const MAX_PEM_LENGTH = 1000;
const SPKI_PEM = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\r?\n?$/;

export type ParsedPublicKey = { ok: true; pem: string; key: KeyObject } | { ok: false; reason: string };

/**
 * Accepts exactly an Ed25519 SPKI PEM. A private key pasted by mistake is refused before it is
 * parsed (node would derive the public half from it and the mistake would go unnoticed).
 */
export function parseEd25519PublicKey(text: string): ParsedPublicKey {
  const trimmed = text.trim();
  if (trimmed.length > MAX_PEM_LENGTH || !SPKI_PEM.test(`${trimmed}\n`)) {
    return { ok: false, reason: 'publicKey must be a SubjectPublicKeyInfo PEM (-----BEGIN PUBLIC KEY-----)' };
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: trimmed, format: 'pem' });
  } catch {
    return { ok: false, reason: 'publicKey is not a valid PEM public key' };
  }
  if (key.asymmetricKeyType !== 'ed25519') return { ok: false, reason: 'publicKey must be an Ed25519 key' };
  if (!isUsableEd25519PublicKey(rawEd25519PublicKey(key))) return { ok: false, reason: 'publicKey is a small-order or non-canonical Ed25519 point, which verifies no signature' };
  return { ok: true, pem: key.export({ format: 'pem', type: 'spki' }).toString(), key };
}

/** A fresh HMAC-SHA256 secret: 32 random bytes. */
export function generateHmacSecret(): Buffer {
  return randomBytes(MIN_HMAC_SECRET_BYTES);
}
