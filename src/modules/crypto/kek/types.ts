/**
 * Key-encryption-key providers: where the KEK lives and how DEKs are wrapped under it. Every
 * provider wraps with AES-256 key wrap with padding (RFC 5649), so a wrapped DEK names only its
 * KEK (provider kind + label + version) and the blob.
 */
import type { WrappedDek } from '../keys/types.js';

export interface KekRef {
  readonly label: string;
  readonly version: number;
}

export interface KekProvider {
  readonly kind: WrappedDek['provider'];
  /** The KEK that new wraps use (the newest version this provider knows). */
  current(): KekRef;
  /** Cheap pre-check: could this provider unwrap `wrapped` (same kind, label it may hold)? */
  holds(wrapped: WrappedDek): boolean;
  /** Wraps a 32-byte DEK under the current KEK. */
  wrap(dek: Uint8Array): Promise<WrappedDek>;
  /**
   * Unwraps; CRYPTO_KEY_UNKNOWN if the named KEK is not held, CRYPTO_DECRYPT_FAILED if the blob
   * fails the RFC 5649 integrity check. The caller owns (and zeroes) the returned buffer.
   */
  unwrap(wrapped: WrappedDek): Promise<Buffer>;
  /** Creates a new KEK version and makes it current (PKCS#11: a new key under a new label). */
  rotate?(): Promise<KekRef>;
  /** Releases handles and zeroes held key material. */
  close(): Promise<void>;
}
