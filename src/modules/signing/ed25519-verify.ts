/**
 * Ed25519 signature verification (RFC 8032) by libsodium, through `sodium-native`.
 *
 * Why not node:crypto, which signs: OpenSSL's Ed25519 verification took ≈ 106 µs on the 2-core
 * benchmark host and libsodium's ≈ 50 µs, and it is the most expensive step of every
 * Ed25519-signed request. With it the Ed25519-signed order route gained ≈ 18 % throughput
 * (docs/BENCHMARKS.md). It runs inline on the event loop: under that load the CPU, not the event
 * loop, ran out, and a thread-pool hop would add cost to a check this short.
 *
 * The two agree on every Wycheproof Ed25519 vector and on random genuine and tampered
 * signatures (tested); libsodium besides refuses small-order and non-canonical public keys and
 * points, which key registration refuses too (`isUsableEd25519PublicKey`). The addon is loaded
 * on first use only: the client SDK, which imports this module's package but only signs, never
 * loads native code.
 */
import { createRequire } from 'node:module';
import type { KeyObject } from 'node:crypto';

interface Sodium {
  crypto_sign_verify_detached(signature: Buffer, message: Buffer, publicKey: Buffer): boolean;
  crypto_core_ed25519_is_valid_point(point: Buffer): boolean;
}

const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
let sodium: Sodium | undefined;

const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/** The 32-byte public key libsodium verifies with, from an Ed25519 KeyObject. */
export function rawEd25519PublicKey(key: KeyObject): Buffer {
  const { x } = key.export({ format: 'jwk' });
  const raw = Buffer.from(x ?? '', 'base64url');
  if (key.asymmetricKeyType !== 'ed25519' || raw.length !== PUBLIC_KEY_BYTES) throw new TypeError('not an Ed25519 public key');
  return raw;
}

const loaded = (): Sodium => (sodium ??= createRequire(import.meta.url)('sodium-native') as Sodium);

/** True when `signature` is a valid Ed25519 signature of `message` under `publicKey` (raw 32 bytes). */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  return loaded().crypto_sign_verify_detached(asBuffer(signature), asBuffer(message), asBuffer(publicKey));
}

/**
 * True when a public key can ever verify here: a canonical encoding of a point of the main
 * subgroup, not of small order. Key registration refuses the others, which `verifyEd25519`
 * would refuse on every request anyway.
 */
export function isUsableEd25519PublicKey(publicKey: Uint8Array): boolean {
  return publicKey.length === PUBLIC_KEY_BYTES && loaded().crypto_core_ed25519_is_valid_point(asBuffer(publicKey));
}
