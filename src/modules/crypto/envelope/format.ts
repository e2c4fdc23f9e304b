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

const VERSION_DIGITS = /^[1-9][0-9]{0,9}$/;

/** Header of a text envelope plus where its body starts, or undefined if malformed. */
function splitText(text: string): (EnvelopeHeader & { bodyStart: number }) | undefined {
  if (typeof text !== 'string' || !text.startsWith('q2:v')) return undefined;
  const versionEnd = text.indexOf(':', 4);
  const keyEnd = versionEnd < 0 ? -1 : text.indexOf(':', versionEnd + 1);
  if (keyEnd < 0) return undefined;
  const versionText = text.slice(4, versionEnd);
  const keyId = text.slice(versionEnd + 1, keyEnd);
  if (!VERSION_DIGITS.test(versionText) || !KEY_ID.test(keyId)) return undefined;
  const version = Number(versionText);
  return version > MAX_VERSION ? undefined : { keyId, version, bodyStart: keyEnd + 1 };
}

/** Reads only the header of a text envelope (no base64 decoding); CRYPTO_FORMAT_INVALID if malformed. */
export function parseTextHeader(text: string): EnvelopeHeader {
  const split = splitText(text);
  if (!split) throw cryptoError('CRYPTO_FORMAT_INVALID');
  return { keyId: split.keyId, version: split.version };
}

export function parseText(text: string): Envelope {
  const split = splitText(text);
  if (!split) throw cryptoError('CRYPTO_FORMAT_INVALID');
  const body = fromBase64Url(text.slice(split.bodyStart));
  if (body.length < GCM_NONCE_BYTES + GCM_TAG_BYTES) throw cryptoError('CRYPTO_FORMAT_INVALID');
  return {
    keyId: split.keyId,
    version: split.version,
    nonce: body.subarray(0, GCM_NONCE_BYTES),
    ciphertext: body.subarray(GCM_NONCE_BYTES, body.length - GCM_TAG_BYTES),
    tag: body.subarray(body.length - GCM_TAG_BYTES),
  };
}

/** Length of the binary header for `header`: magic, format, version, key id. */
export function binaryHeaderLength(header: EnvelopeHeader): number {
  return 8 + header.keyId.length;
}

/** Writes the binary header at the start of `out`; returns its length. */
export function writeBinaryHeader(out: Buffer, header: EnvelopeHeader): number {
  out[0] = BINARY_MAGIC_0;
  out[1] = BINARY_MAGIC_1;
  out[2] = FORMAT_1;
  out.writeUInt32BE(header.version, 3);
  out[7] = header.keyId.length;
  out.write(header.keyId, 8, 'latin1');
  return binaryHeaderLength(header);
}

export function encodeBinary(header: EnvelopeHeader, nonce: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Buffer {
  const headerLength = binaryHeaderLength(header);
  const out = Buffer.allocUnsafe(headerLength + nonce.byteLength + ciphertext.byteLength + tag.byteLength);
  writeBinaryHeader(out, header);
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
