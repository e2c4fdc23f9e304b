/**
 * Byte helpers shared by the crypto module: RFC 4648 §5 base64url (canonical only), big-endian
 * integers, unambiguous length-prefixed encodings for associated data, and best-effort zeroing.
 */
import { cryptoError } from '../errors.js';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes base64url without padding and rejects every non-canonical spelling. Node's decoder
 * silently skips invalid characters and ignores unused trailing bits, so without this check two
 * different strings could decode to the same ciphertext (a tampered text would still decrypt).
 */
export function fromBase64Url(text: string): Buffer {
  if (text.length % 4 === 1 || !BASE64URL.test(text)) throw cryptoError('CRYPTO_FORMAT_INVALID');
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw cryptoError('CRYPTO_FORMAT_INVALID');
  return bytes;
}

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Overwrites a buffer with zeros. JS cannot reach copies the engine or OpenSSL made (docs/crypto.md). */
export function zeroize(...buffers: (Uint8Array | undefined)[]): void {
  for (const buffer of buffers) buffer?.fill(0);
}

export function u32be(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new TypeError(`not a u32: ${value}`);
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value, 0);
  return out;
}

/**
 * Length-prefixed concatenation: u32be(len) ‖ bytes for every part. Injective, so two different
 * part lists never produce the same associated data ("a","bc" ≠ "ab","c").
 */
export function lengthPrefixed(parts: readonly (Uint8Array | string)[]): Buffer {
  const encoded = parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part));
  let total = 0;
  for (const part of encoded) total += 4 + part.byteLength;
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const part of encoded) {
    offset = out.writeUInt32BE(part.byteLength, offset);
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Copies any byte view into a Buffer that does not share memory with the input. */
export function copyBytes(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes);
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
