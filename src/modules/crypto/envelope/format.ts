/**
 * The Q2 ciphertext envelope (format 1: AES-256-GCM, 96-bit nonce, 128-bit tag).
 *
 *   text:   q2:v<version>:<keyId>:<base64url(nonce ‖ ciphertext ‖ tag)>
 *   binary: "Q2" ‖ 0x01 ‖ u32be(version) ‖ u8(len keyId) ‖ keyId ‖ nonce ‖ ciphertext ‖ tag
 *
 * Both spellings carry the same header (key id, version) and are authenticated with the same
 * associated data (./aad.ts), so the header cannot be edited without the tag failing. Parsing is
 * strict: one spelling per envelope (no leading zeros, canonical base64url, lowercase key ids);
 * anything else is CRYPTO_FORMAT_INVALID before any key is touched.
 */
import { cryptoError } from '../errors.js';
import { GCM_NONCE_BYTES, GCM_TAG_BYTES } from '../primitives/aes-gcm.js';
import { fromBase64Url } from '../primitives/bytes.js';

export interface EnvelopeHeader {
  /** Key ring id, e.g. `pii` or `user.42`: [a-z0-9][a-z0-9._-]{0,63}. */
  readonly keyId: string;
  /** Key version, 1 … 2^32-1. */
  readonly version: number;
}

export interface Envelope extends EnvelopeHeader {
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

const KEY_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const TEXT = /^q2:v([1-9][0-9]{0,9}):([a-z0-9][a-z0-9._-]{0,63}):([A-Za-z0-9_-]+)$/;
const BINARY_MAGIC_0 = 0x51; // 'Q'
const BINARY_MAGIC_1 = 0x32; // '2'
const FORMAT_1 = 0x01;
const MAX_VERSION = 0xffffffff;

export function isValidKeyId(keyId: string): boolean {
  return KEY_ID.test(keyId);
}

export function assertHeader(header: EnvelopeHeader): void {
  if (!isValidKeyId(header.keyId)) throw new TypeError(`invalid key id "${header.keyId}": use [a-z0-9][a-z0-9._-]{0,63}`);
  if (!Number.isInteger(header.version) || header.version < 1 || header.version > MAX_VERSION) {
    throw new TypeError(`invalid key version ${header.version}`);
  }
}

/** `q2:v<version>:<keyId>:` — also the prefix that identifies ciphertexts under one version. */
export function textPrefix(header: EnvelopeHeader): string {
  return `q2:v${header.version}:${header.keyId}:`;
}

export function encodeText(header: EnvelopeHeader, nonce: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): string {
  const body = Buffer.allocUnsafe(nonce.byteLength + ciphertext.byteLength + tag.byteLength);
  body.set(nonce, 0);
  body.set(ciphertext, nonce.byteLength);
  body.set(tag, nonce.byteLength + ciphertext.byteLength);
  return textPrefix(header) + body.toString('base64url');
}

/** Reads only the header of a text envelope (no base64 decoding); CRYPTO_FORMAT_INVALID if malformed. */
export function parseTextHeader(text: string): EnvelopeHeader {
  const match = typeof text === 'string' ? TEXT.exec(text) : null;
  const version = match ? Number(match[1]) : NaN;
  if (!match || version > MAX_VERSION) throw cryptoError('CRYPTO_FORMAT_INVALID');
  return { keyId: match[2] as string, version };
}

export function parseText(text: string): Envelope {
  const header = parseTextHeader(text);
  const body = fromBase64Url(text.slice(textPrefix(header).length));
  return { ...header, ...splitBody(body) };
}

export function encodeBinary(header: EnvelopeHeader, nonce: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Buffer {
  const id = Buffer.from(header.keyId, 'ascii');
  const headerLength = 2 + 1 + 4 + 1 + id.length;
  const out = Buffer.allocUnsafe(headerLength + nonce.byteLength + ciphertext.byteLength + tag.byteLength);
  out[0] = BINARY_MAGIC_0;
  out[1] = BINARY_MAGIC_1;
  out[2] = FORMAT_1;
  out.writeUInt32BE(header.version, 3);
  out[7] = id.length;
  id.copy(out, 8);
  out.set(nonce, headerLength);
  out.set(ciphertext, headerLength + nonce.byteLength);
  out.set(tag, headerLength + nonce.byteLength + ciphertext.byteLength);
  return out;
}

export function parseBinaryHeader(bytes: Uint8Array): EnvelopeHeader & { headerLength: number } {
  if (bytes.byteLength < 9 || bytes[0] !== BINARY_MAGIC_0 || bytes[1] !== BINARY_MAGIC_1 || bytes[2] !== FORMAT_1) {
    throw cryptoError('CRYPTO_FORMAT_INVALID');
  }
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.readUInt32BE(3);
  const idLength = view[7] as number;
  const headerLength = 8 + idLength;
  if (view.length < headerLength) throw cryptoError('CRYPTO_FORMAT_INVALID');
  const keyId = view.toString('latin1', 8, headerLength);
  if (version === 0 || !isValidKeyId(keyId)) throw cryptoError('CRYPTO_FORMAT_INVALID');
  return { keyId, version, headerLength };
}

export function parseBinary(bytes: Uint8Array): Envelope {
  const { headerLength, ...header } = parseBinaryHeader(bytes);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { ...header, ...splitBody(view.subarray(headerLength)) };
}

function splitBody(body: Buffer): Pick<Envelope, 'nonce' | 'ciphertext' | 'tag'> {
  if (body.length < GCM_NONCE_BYTES + GCM_TAG_BYTES) throw cryptoError('CRYPTO_FORMAT_INVALID');
  return {
    nonce: body.subarray(0, GCM_NONCE_BYTES),
    ciphertext: body.subarray(GCM_NONCE_BYTES, body.length - GCM_TAG_BYTES),
    tag: body.subarray(body.length - GCM_TAG_BYTES),
  };
}
