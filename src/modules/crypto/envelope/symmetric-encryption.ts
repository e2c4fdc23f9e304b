/**
 * SymmetricEncryption: AES-256-GCM envelopes (./format.ts) under the key manager's versioned
 * keys. Every encryption takes a fresh random 96-bit nonce and one unit of the version's usage
 * budget (key-manager.ts), so nonces do not repeat under a key within the policy's limits.
 * The header and the caller's context are authenticated (./aad.ts).
 *
 * Hot path: with the DEK cached and a usage reservation in hand, encrypt and decrypt run
 * synchronously inside one promise (no store or KEK round trip, no extra envelope copy).
 */
import type { DataKey, KeyManager } from '../keys/key-manager.js';
import { cryptoError } from '../errors.js';
import { aesGcmOpen, aesGcmSealInto, GCM_NONCE_BYTES, GCM_TAG_BYTES, randomNonce } from '../primitives/aes-gcm.js';
import { zeroize } from '../primitives/bytes.js';
import { associatedData, type EncryptionContext } from './aad.js';
import { binaryHeaderLength, parseBinary, parseText, parseTextHeader, textPrefix, writeBinaryHeader, type Envelope, type EnvelopeHeader } from './format.js';

export interface SealOptions {
  /** Where the ciphertext belongs, e.g. { table, column, row }. Authenticated, not stored. */
  context: EncryptionContext;
  /** Key ring id; defaults to the instance's default key. */
  keyId?: string;
  /** Extra associated data, authenticated, not stored. */
  aad?: Uint8Array;
}

export interface SymmetricEncryption {
  /** `q2:v<version>:<keyId>:<base64url>` text envelope. */
  encrypt(plaintext: string | Uint8Array, options: SealOptions): Promise<string>;
  /** Any failure is a coded AppError (CRYPTO_FORMAT_INVALID, _DECRYPT_FAILED, _KEY_*). */
  decrypt(ciphertext: string, options: SealOptions): Promise<Buffer>;
  decryptString(ciphertext: string, options: SealOptions): Promise<string>;
  /** Binary envelope, for blobs (no base64 overhead). */
  encryptBytes(plaintext: Uint8Array, options: SealOptions): Promise<Buffer>;
  decryptBytes(envelope: Uint8Array, options: SealOptions): Promise<Buffer>;
  /**
   * Re-encrypts a text envelope under its key's primary version without returning the
   * plaintext; returns the input unchanged when it is already under the primary.
   */
  rewrap(ciphertext: string, options: SealOptions): Promise<string>;
  /** Key id and version of a text envelope (no key access). */
  header(ciphertext: string): EnvelopeHeader;
}

export interface SymmetricEncryptionOptions {
  keyManager: KeyManager;
  /** Key id used when a call names none. Default `default`. */
  defaultKeyId?: string;
}

/** Runs `work` so that a synchronous throw becomes a rejection: these APIs never throw. */
function settle<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Seals into `out` at `offset`: nonce ‖ ciphertext ‖ tag. */
function sealInto(key: DataKey, plaintext: string | Uint8Array, o: SealOptions, out: (length: number) => { buffer: Buffer; offset: number }) {
  const bytes = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  try {
    const { buffer, offset } = out(GCM_NONCE_BYTES + bytes.byteLength + GCM_TAG_BYTES);
    const nonce = randomNonce();
    buffer.set(nonce, offset);
    aesGcmSealInto(key.aesKey, nonce, bytes, associatedData(key, o.context, o.aad), buffer, offset + GCM_NONCE_BYTES);
    return buffer;
  } finally {
    if (typeof plaintext === 'string') zeroize(bytes);
  }
}

export function createSymmetricEncryption(options: SymmetricEncryptionOptions): SymmetricEncryption {
  const { keyManager } = options;
  const defaultKeyId = options.defaultKeyId ?? 'default';

  /** The sealing key: synchronously from the cache when possible. */
  function withEncryptionKey<T>(o: SealOptions, use: (key: DataKey) => T): T | Promise<T> {
    const keyId = o.keyId ?? defaultKeyId;
    const key = keyManager.tryEncryptionKey(keyId);
    return key ? use(key) : keyManager.encryptionKey(keyId).then(use);
  }

  function open(envelope: Envelope, o: SealOptions): Buffer | Promise<Buffer> {
    // A caller that knows which key the data must be under refuses any other (per-user keys).
    if (o.keyId !== undefined && o.keyId !== envelope.keyId) throw cryptoError('CRYPTO_DECRYPT_FAILED');
    const use = (key: DataKey) =>
      aesGcmOpen(key.aesKey, envelope.nonce, envelope.ciphertext, envelope.tag, associatedData(envelope, o.context, o.aad));
    const key = keyManager.tryDecryptionKey(envelope.keyId, envelope.version);
    return key ? use(key) : keyManager.decryptionKey(envelope.keyId, envelope.version).then(use);
  }

  const symmetric: SymmetricEncryption = {
    encrypt: (plaintext, o) =>
      settle(() =>
        withEncryptionKey(o, (key) => textPrefix(key) + sealInto(key, plaintext, o, (n) => ({ buffer: Buffer.allocUnsafe(n), offset: 0 })).toString('base64url')),
      ),
    decrypt: (ciphertext, o) => settle(() => open(parseText(ciphertext), o)),
    async decryptString(ciphertext, o) {
      const bytes = await symmetric.decrypt(ciphertext, o);
      try {
        return bytes.toString('utf8');
      } finally {
        zeroize(bytes);
      }
    },
    encryptBytes: (plaintext, o) =>
      settle(() =>
        withEncryptionKey(o, (key) =>
          sealInto(key, plaintext, o, (n) => {
            const buffer = Buffer.allocUnsafe(binaryHeaderLength(key) + n);
            return { buffer, offset: writeBinaryHeader(buffer, key) };
          }),
        ),
      ),
    decryptBytes: (envelope, o) => settle(() => open(parseBinary(envelope), o)),
    async rewrap(ciphertext, o) {
      const header = parseTextHeader(ciphertext);
      if (header.version >= (await keyManager.primaryVersion(header.keyId))) return ciphertext;
      const plaintext = await symmetric.decrypt(ciphertext, o);
      try {
        return await symmetric.encrypt(plaintext, { ...o, keyId: header.keyId });
      } finally {
        zeroize(plaintext);
      }
    },
    header: (ciphertext) => parseTextHeader(ciphertext),
  };
  return symmetric;
}
