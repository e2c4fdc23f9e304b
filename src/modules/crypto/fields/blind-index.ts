/**
 * Keyed blind index (HMAC-SHA256, RFC 2104) for equality lookups on encrypted columns, e.g.
 * "find the user with this email" without decrypting every row.
 *
 * index = "v<version>:" ‖ base64url(HMAC(K, normalize(value))), K = HKDF subkey of the blind-index
 * key ring key for purpose "blind-index/<scope>" (scope = "<table>.<column>"), so equal values in
 * two columns do not correlate. The index reveals equality within one column and version, nothing
 * more; low-entropy columns (booleans, small enums) must not get one.
 *
 * Rotation: new writes use the primary version; lookups try every decryptable version
 * (`candidates`), and a field rewrap recomputes indexes under the primary.
 */
import type { KeyManager } from '../keys/key-manager.js';
import { cryptoError } from '../errors.js';
import { toBase64Url } from '../primitives/bytes.js';
import { hmacSha256 } from '../primitives/kdf.js';

export interface BlindIndex {
  /** The index of `value` under the primary version. */
  compute(scope: string, value: string): Promise<string>;
  /** The index of `value` under every decryptable version (newest first), for `IN (…)` lookups. */
  candidates(scope: string, value: string): Promise<string[]>;
  /** Version an index value was computed under; CRYPTO_FORMAT_INVALID if malformed. */
  versionOf(index: string): number;
  /** Primary version of the blind-index key (indexes under older versions are stale). */
  primaryVersion(): Promise<number>;
}

export interface BlindIndexOptions {
  keyManager: KeyManager;
  /** Key ring id of the blind-index key. Default `blind-index`. */
  keyId?: string;
}

const INDEX = /^v([1-9][0-9]{0,9}):[A-Za-z0-9_-]{43}$/;

/** Lowercase, NFC-normalised, trimmed: how email addresses are compared. */
export function normalizeEmail(value: string): string {
  return value.normalize('NFC').trim().toLowerCase();
}

export function createBlindIndex(options: BlindIndexOptions): BlindIndex {
  const { keyManager } = options;
  const keyId = options.keyId ?? 'blind-index';

  async function under(scope: string, value: string, version?: number): Promise<string> {
    if (scope.length === 0) throw new TypeError('blind index scope must be non-empty');
    const derived = await keyManager.deriveKey(keyId, `blind-index/${scope}`, version);
    return `v${derived.version}:${toBase64Url(hmacSha256(derived.key, value))}`;
  }

  return {
    compute: (scope, value) => under(scope, value),
    async candidates(scope, value) {
      const versions = await keyManager.decryptableVersions(keyId);
      if (versions.length === 0) return [await under(scope, value)];
      return Promise.all(versions.map((version) => under(scope, value, version)));
    },
    versionOf(index) {
      const match = INDEX.exec(index);
      if (!match) throw cryptoError('CRYPTO_FORMAT_INVALID');
      return Number(match[1]);
    },
    async primaryVersion() {
      await keyManager.ensureKey(keyId);
      return keyManager.primaryVersion(keyId);
    },
  };
}
