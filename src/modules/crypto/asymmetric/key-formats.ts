/**
 * Key import/export in standard formats: PEM and DER (SPKI RFC 5280, PKCS#8 RFC 5208), JWK
 * (RFC 7517/7518/8037), and raw encodings where the curve defines one (SEC1 points for P-256,
 * RFC 7748 / RFC 8032 bytes for X25519 / Ed25519). All parsing is OpenSSL's, through
 * node:crypto; this file only frames raw bytes into SPKI/PKCS#8/JWK containers.
 */
import { createECDH, createPrivateKey, createPublicKey, ECDH, type JsonWebKey, type KeyObject } from 'node:crypto';

import { cryptoError } from '../errors.js';

export type KeyInput =
  | { format: 'pem'; key: string }
  | { format: 'der'; key: Uint8Array }
  | { format: 'jwk'; key: JsonWebKey }
  | { format: 'raw'; curve: 'P-256' | 'X25519' | 'Ed25519'; key: Uint8Array };

/** RFC 8410 §4 / §7 fixed prefixes: SPKI and PKCS#8 framings of 32-byte X25519/Ed25519 keys. */
const OKP_SPKI_PREFIX = { X25519: '302a300506032b656e032100', Ed25519: '302a300506032b6570032100' } as const;
const OKP_PKCS8_PREFIX = { X25519: '302e020100300506032b656e04220420', Ed25519: '302e020100300506032b657004220420' } as const;

function invalid(cause: unknown): never {
  throw cryptoError('CRYPTO_KEY_INVALID', undefined, cause);
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** A P-256 scalar as exactly 32 bytes (inputs may carry a leading zero octet). */
function scalar32(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const trimmed = Buffer.from(bytes.subarray(start));
  if (trimmed.length > 32) invalid(new RangeError('scalar longer than 32 bytes'));
  return Buffer.concat([Buffer.alloc(32 - trimmed.length), trimmed]);
}

export function importPublicKey(input: KeyInput): KeyObject {
  try {
    switch (input.format) {
      case 'pem':
        return createPublicKey({ key: input.key, format: 'pem' });
      case 'der':
        return createPublicKey({ key: Buffer.from(input.key), format: 'der', type: 'spki' });
      case 'jwk':
        return createPublicKey({ key: input.key, format: 'jwk' });
      case 'raw': {
        if (input.curve === 'P-256') {
          // Decompresses and checks the point is on the curve (OpenSSL EC_POINT_oct2point).
          const point = ECDH.convertKey(Buffer.from(input.key), 'prime256v1', undefined, undefined, 'uncompressed') as Buffer;
          return createPublicKey({
            key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)) },
            format: 'jwk',
          });
        }
        if (input.key.byteLength !== 32) invalid(new RangeError('raw OKP keys are 32 bytes'));
        const der = Buffer.concat([Buffer.from(OKP_SPKI_PREFIX[input.curve], 'hex'), input.key]);
        return createPublicKey({ key: der, format: 'der', type: 'spki' });
      }
    }
  } catch (error) {
    return invalid(error);
  }
}

export function importPrivateKey(input: KeyInput, passphrase?: string): KeyObject {
  try {
    switch (input.format) {
      case 'pem':
        return createPrivateKey({ key: input.key, format: 'pem', ...(passphrase === undefined ? {} : { passphrase }) });
      case 'der':
        return createPrivateKey({ key: Buffer.from(input.key), format: 'der', type: 'pkcs8', ...(passphrase === undefined ? {} : { passphrase }) });
      case 'jwk':
        return createPrivateKey({ key: input.key, format: 'jwk' });
      case 'raw': {
        if (input.curve === 'P-256') {
          const d = scalar32(input.key);
          const ecdh = createECDH('prime256v1');
          ecdh.setPrivateKey(d);
          const point = ecdh.getPublicKey();
          return createPrivateKey({
            key: { kty: 'EC', crv: 'P-256', d: b64url(d), x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)) },
            format: 'jwk',
          });
        }
        if (input.key.byteLength !== 32) invalid(new RangeError('raw OKP keys are 32 bytes'));
        const der = Buffer.concat([Buffer.from(OKP_PKCS8_PREFIX[input.curve], 'hex'), input.key]);
        return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      }
    }
  } catch (error) {
    return invalid(error);
  }
}

export type ExportFormat = 'pem' | 'der' | 'jwk';

/** Public keys as SPKI; private keys as PKCS#8 (encrypted with AES-256-CBC when a passphrase is given). */
export function exportKey(key: KeyObject, format: 'pem', passphrase?: string): string;
export function exportKey(key: KeyObject, format: 'der', passphrase?: string): Buffer;
export function exportKey(key: KeyObject, format: 'jwk'): JsonWebKey;
export function exportKey(key: KeyObject, format: ExportFormat, passphrase?: string): string | Buffer | JsonWebKey {
  if (format === 'jwk') return key.export({ format: 'jwk' });
  if (key.type === 'public') return format === 'pem' ? key.export({ format, type: 'spki' }) : key.export({ format, type: 'spki' });
  if (key.type !== 'private') throw new TypeError('only asymmetric keys can be exported here');
  const encryption = passphrase === undefined ? {} : { cipher: 'aes-256-cbc', passphrase };
  return format === 'pem' ? key.export({ format, type: 'pkcs8', ...encryption }) : key.export({ format, type: 'pkcs8', ...encryption });
}

/** Curve or algorithm of an asymmetric key, e.g. `rsa`, `P-256`, `Ed25519`, `X25519`. */
export function keyAlgorithm(key: KeyObject): string {
  if (key.asymmetricKeyType === 'ec') return key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? 'P-256' : 'ec-other';
  if (key.asymmetricKeyType === 'ed25519') return 'Ed25519';
  if (key.asymmetricKeyType === 'x25519') return 'X25519';
  return key.asymmetricKeyType ?? 'secret';
}
