/**
 * Byte helpers shared by the crypto module: RFC 4648 §5 base64url (canonical only), big-endian
 * integers, unambiguous length-prefixed encodings for associated data, and best-effort zeroing.
 */
import { cryptoError } from '../errors.js';

/**
 * Decodes base64url without padding and rejects every non-canonical spelling. Node's decoder
 * silently skips invalid characters (whitespace, '=', anything else), accepts the standard
 * alphabet's '+' and '/', reads non-Latin-1 characters by their low byte, and ignores unused
 * trailing bits, so without these checks two
 * different strings could decode to the same ciphertext (a tampered text would still decrypt).
 *
 * Invariant (why the length check suffices once the text is ASCII without '+' and '/'): n
 * canonical characters decode to ⌊6n/8⌋ bytes with n mod 4 ≠ 1. Skipping k ≥ 1 characters loses at least 0.75·k bytes of the exact value,
 * which always lowers the floor unless n ≡ 1 (mod 4), a length refused up front. A property
 * test checks this against `encode(decode(s)) === s`.
 */
export function fromBase64Url(text: string): Buffer {
  const n = text.length;
  const tail = n % 4;
  // ASCII only: Node reads a character above U+00FF by its low byte, so 'Ł' (U+0141) decodes as 'A'.
  if (tail === 1 || Buffer.byteLength(text, 'utf8') !== n || text.includes('+') || text.includes('/')) {
    throw cryptoError('CRYPTO_FORMAT_INVALID');
  }
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== Math.floor((n * 3) / 4)) throw cryptoError('CRYPTO_FORMAT_INVALID');
  // RFC 4648 §3.5: the bits of the last character beyond the data must be zero.
  if (tail !== 0 && (sextet(text.charCodeAt(n - 1)) & (tail === 2 ? 0x0f : 0x03)) !== 0) throw cryptoError('CRYPTO_FORMAT_INVALID');
  return bytes;
}

/** Value of one base64url character (already known to decode). */
function sextet(code: number): number {
  if (code >= 65 && code <= 90) return code - 65; // A-Z
  if (code >= 97 && code <= 122) return code - 71; // a-z
  if (code >= 48 && code <= 57) return code + 4; // 0-9
  return code === 45 ? 62 : 63; // '-' or '_'
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
