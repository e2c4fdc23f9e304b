/**
 * The key ring's data model and its storage contract.
 *
 * A key (`keyId`, e.g. `pii`) has versions 1…n. Each version holds one data-encryption key (DEK)
 * wrapped by a key-encryption key (KEK). States:
 *
 *   active        the primary: the only version new encryptions use (exactly one per key)
 *   decrypt-only  a former primary, still readable; `rewrap` moves its ciphertexts forward
 *   retired       below the key's minimum decryption version: reads fail with CRYPTO_KEY_RETIRED
 *
 * Invariants the store maintains: version numbers only grow; the active version is the key's
 * `primaryVersion`; `minDecryptionVersion ≤ primaryVersion`; a version's state matches those two
 * numbers; `usageCount` never decreases.
 */

export type KeyState = 'active' | 'decrypt-only' | 'retired';

/** A DEK as wrapped by one KEK. The blob is opaque to everyone but that KEK's provider. */
export interface WrappedDek {
  /** `A256KWP`: AES key wrap with padding, RFC 5649. */
  readonly alg: 'A256KWP';
  readonly provider: 'local' | 'pkcs11';
  /** Names the KEK: `local:<fingerprint>` or the PKCS#11 object label. */
  readonly kekLabel: string;
  readonly kekVersion: number;
  readonly blob: Buffer;
}

export interface KeyVersionRecord {
  readonly keyId: string;
  readonly version: number;
  readonly state: KeyState;
  readonly wrapped: WrappedDek;
  /** Unix ms. */
  readonly createdAt: number;
  /** Unix ms when it stopped being the primary; undefined while active. */
  readonly demotedAt: number | undefined;
  /** Encryptions reserved under this version (an upper bound on encryptions performed). */
  readonly usageCount: number;
}

export interface KeyRecord {
  readonly keyId: string;
  readonly primaryVersion: number;
  readonly minDecryptionVersion: number;
  readonly createdAt: number;
  /** Set once the key was destroyed (crypto-shredding); versions are then gone. */
  readonly destroyedAt: number | undefined;
  /** Ascending by version. */
  readonly versions: readonly KeyVersionRecord[];
}

export interface NewKeyVersion {
  readonly wrapped: WrappedDek;
  readonly createdAt: number;
}

/**
 * Persistence of the key ring. Every method is atomic on its own; the contracts below are what
 * the key manager relies on when several replicas share one store.
 */
export interface KeyRingStore {
  getKey(keyId: string): Promise<KeyRecord | undefined>;
  listKeys(): Promise<KeyRecord[]>;
  /**
   * Creates the key with version 1 as primary. Exactly one concurrent creator wins; the others
   * (and later callers) get `false` and must re-read.
   */
  createKey(keyId: string, first: NewKeyVersion): Promise<boolean>;
  /**
   * Compare-and-swap rotation: only if the primary is still `expectedPrimary`, inserts version
   * `expectedPrimary + 1` as active, demotes the old primary to decrypt-only (demotedAt = `now`)
   * and moves the primary pointer. Returns false if another caller rotated first.
   */
  addPrimaryVersion(keyId: string, expectedPrimary: number, next: NewKeyVersion): Promise<boolean>;
  /**
   * Atomically adds `count` to the usage counter of `version`, only while it is the active
   * version. Returns the new total, or undefined if the version is no longer active.
   */
  reserveUsage(keyId: string, version: number, count: number): Promise<number | undefined>;
  /**
   * Sets the minimum decryption version (≤ primary) and recomputes the states: versions below
   * it become retired, the others decrypt-only (or active for the primary). May lower it again.
   */
  setMinDecryptionVersion(keyId: string, minVersion: number): Promise<void>;
  /**
   * Compare-and-swap of one version's wrapped DEK (KEK rewrap): replaces it only while its KEK
   * label and blob are still those of `expected`. Returns whether it was replaced.
   */
  replaceWrappedDek(keyId: string, version: number, expected: WrappedDek, next: WrappedDek): Promise<boolean>;
  /** Crypto-shredding: deletes every version's wrapped DEK and marks the key destroyed. */
  destroyKey(keyId: string, now: number): Promise<boolean>;
}
