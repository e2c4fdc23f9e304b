/**
 * `local` KEK provider: a 256-bit master key held in process memory (from a key file or a
 * passphrase, see ./master-key.ts) wraps DEKs with AES-KWP (RFC 5649) through node:crypto.
 * The label is a fingerprint of the master key, `local:<16 hex>`, so a DEK wrapped under another
 * master key is reported as CRYPTO_KEY_UNKNOWN instead of a confusing integrity failure.
 */
import { createSecretKey } from 'node:crypto';

import { cryptoError } from '../errors.js';
import { aesKwpUnwrap, aesKwpWrap } from '../primitives/aes-kwp.js';
import { zeroize } from '../primitives/bytes.js';
import { hmacSha256 } from '../primitives/kdf.js';
import type { WrappedDek } from '../keys/types.js';
import type { KekProvider, KekRef } from './types.js';

export const MASTER_KEY_BYTES = 32;

/** `local:` + the first 64 bits of HMAC-SHA256(master, label): identifies, does not reveal. */
export function localKekLabel(masterKey: Uint8Array): string {
  return `local:${hmacSha256(masterKey, 'q2/kek-fingerprint/v1').subarray(0, 8).toString('hex')}`;
}

/** The master key is copied; the caller may zero its own buffer afterwards. */
export function createLocalKekProvider(masterKey: Uint8Array): KekProvider {
  if (masterKey.byteLength !== MASTER_KEY_BYTES) throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'the master key must be 32 bytes');
  const ref: KekRef = Object.freeze({ label: localKekLabel(masterKey), version: 1 });
  // A KeyObject keeps its copy in OpenSSL memory, freed with OPENSSL_clear_free when collected.
  let kek: ReturnType<typeof createSecretKey> | undefined = createSecretKey(masterKey);

  const live = () => {
    if (!kek) throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'the KEK provider is closed');
    return kek;
  };

  return {
    kind: 'local',
    current: () => ref,
    holds: (wrapped) => wrapped.provider === 'local' && wrapped.kekLabel === ref.label,
    async wrap(dek): Promise<WrappedDek> {
      return { alg: 'A256KWP', provider: 'local', kekLabel: ref.label, kekVersion: ref.version, blob: aesKwpWrap(live(), dek) };
    },
    async unwrap(wrapped) {
      if (wrapped.provider !== 'local' || wrapped.kekLabel !== ref.label || wrapped.alg !== 'A256KWP') {
        throw cryptoError('CRYPTO_KEY_UNKNOWN', 'the data key is wrapped under another KEK');
      }
      return aesKwpUnwrap(live(), wrapped.blob);
    },
    async close() {
      kek = undefined;
    },
  };
}

/** Zeroes `masterKey` after building the provider. */
export function createLocalKekProviderConsuming(masterKey: Buffer): KekProvider {
  try {
    return createLocalKekProvider(masterKey);
  } finally {
    zeroize(masterKey);
  }
}
