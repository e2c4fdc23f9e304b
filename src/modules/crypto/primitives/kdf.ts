/**
 * Key derivation and MACs through node:crypto: HKDF-SHA256 (RFC 5869), HMAC-SHA256 (RFC 2104)
 * and PBKDF2-HMAC-SHA256 (RFC 8018 §5.2). Thin on purpose: the policy (iteration floor, info
 * labels) lives with the callers.
 */
import { createHmac, hkdfSync, pbkdf2, timingSafeEqual, type KeyObject } from 'node:crypto';

import { cryptoError } from '../errors.js';

/** RFC 5869 §2.3: L ≤ 255·HashLen. */
export const HKDF_SHA256_MAX_BYTES = 255 * 32;

export function hkdfSha256(ikm: Uint8Array | KeyObject, salt: Uint8Array, info: Uint8Array, length: number): Buffer {
  if (!Number.isInteger(length) || length < 1 || length > HKDF_SHA256_MAX_BYTES) {
    throw cryptoError('CRYPTO_KEY_INVALID', 'HKDF-SHA256 output length must be 1..8160 bytes');
  }
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

export function hmacSha256(key: Uint8Array | KeyObject, message: Uint8Array | string): Buffer {
  return createHmac('sha256', key).update(message).digest();
}

/**
 * Constant-time check of a (possibly truncated, ≥ 16 bytes) HMAC-SHA256 tag. Returns a verdict;
 * a wrong tag is an expected outcome, not an exception.
 */
export function verifyHmacSha256(key: Uint8Array | KeyObject, message: Uint8Array | string, tag: Uint8Array): boolean {
  if (tag.byteLength < 16 || tag.byteLength > 32) return false;
  const expected = hmacSha256(key, message).subarray(0, tag.byteLength);
  return timingSafeEqual(expected, tag);
}

/** PBKDF2-HMAC-SHA256 on the libuv thread pool (does not block the event loop). */
export function pbkdf2Sha256(password: Uint8Array | string, salt: Uint8Array, iterations: number, length: number): Promise<Buffer> {
  if (!Number.isInteger(iterations) || iterations < 1) throw new TypeError('iterations must be a positive integer');
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, length, 'sha256', (error, key) => (error ? reject(error) : resolve(key)));
  });
}
