/**
 * Key-ring administration: rotation (manual, due by policy), retirement through the minimum
 * decryption version, status, KEK rewrap of wrapped DEKs, and crypto-shredding.
 *
 * Rotation invariants:
 * - `rotate` never touches data: it adds version n+1 as primary; n becomes decrypt-only and
 *   every existing ciphertext still decrypts.
 * - Retiring version v (minimum decryption version > v) is refused while v is the primary or
 *   was demoted less than `retireGraceMs` ago (a replica may still hold a reservation for it).
 *   Retiring is only safe after a rewrap pass that started after that grace found nothing
 *   under v; `q2 keys rewrap --retire` enforces this.
 * - KEK rewrap replaces one wrapped DEK per compare-and-swap: a crash leaves each version
 *   wrapped under either the old or the new KEK, both readable while both are configured.
 */
import type { Clock } from '../../../lib/clock/index.js';
import { cryptoError } from '../errors.js';
import type { KekProvider } from '../kek/types.js';
import { zeroize } from '../primitives/bytes.js';
import type { DekCache } from './dek-cache.js';
import type { KeyRingState } from './key-ring-state.js';
import { rotationDue, type RotationPolicy, type RotationReason } from './rotation-policy.js';
import type { KeyRingStore, KeyState } from './types.js';

export interface KeyVersionStatus {
  keyId: string;
  version: number;
  state: KeyState;
  primary: boolean;
  usageCount: number;
  createdAt: number;
  /** When it stopped being the primary; undefined while active. */
  demotedAt: number | undefined;
  ageMs: number;
  kekProvider: string;
  kekLabel: string;
  /** Set on the primary when policy says it should rotate. */
  rotationDue: RotationReason | undefined;
}

export interface KeyStatus {
  keyId: string;
  primaryVersion: number;
  minDecryptionVersion: number;
  destroyed: boolean;
  versions: KeyVersionStatus[];
}

export interface KeyAdmin {
  /** Minimum time between a version's demotion and its retirement (see the invariants above). */
  readonly retireGraceMs: number;
  /** Creates version 1 of `keyId` if it does not exist. */
  ensureKey(keyId: string): Promise<void>;
  /** Makes a new version primary; returns it. Concurrent rotations yield one new version. */
  rotate(keyId: string): Promise<number>;
  /** Rotates every key whose primary is due by age or usage. */
  rotateDue(): Promise<{ keyId: string; version: number; reason: RotationReason }[]>;
  /** Versions below `minVersion` become retired (unreadable); lowering it again restores them. */
  retire(keyId: string, minVersion: number): Promise<void>;
  status(): Promise<KeyStatus[]>;
  /** The current KEK as new wraps use it. */
  currentKek(): { provider: string; label: string; version: number };
  /** Re-wraps every DEK not under the current KEK. Resumable: already moved ones are skipped. */
  rewrapDeks(onProgress?: (done: number, total: number) => void): Promise<{ rewrapped: number; alreadyCurrent: number }>;
  /** Crypto-shredding: every version of `keyId` becomes unrecoverable. */
  destroyKey(keyId: string): Promise<boolean>;
}

export interface KeyAdminDeps {
  state: KeyRingState;
  store: KeyRingStore;
  kek: KekProvider;
  clock: Clock;
  cache: DekCache;
  policy: RotationPolicy;
  retireGraceMs: number;
  onKeyChanged(keyId: string): void;
}

export function createKeyAdmin(deps: KeyAdminDeps): KeyAdmin {
  const { state, store, kek, clock, cache, policy } = deps;

  const changed = (keyId: string) => {
    state.forget(keyId);
    deps.onKeyChanged(keyId);
  };

  async function rotate(keyId: string): Promise<number> {
    const record = await state.meta(keyId, true);
    if (!record) throw cryptoError('CRYPTO_KEY_UNKNOWN');
    if (record.destroyedAt !== undefined) throw cryptoError('CRYPTO_KEY_DESTROYED');
    await state.rotateFrom(keyId, record.primaryVersion);
    changed(keyId);
    // Won or lost the compare-and-swap, the key now has a newer primary.
    return (await state.meta(keyId, true))?.primaryVersion ?? record.primaryVersion + 1;
  }

  return {
    retireGraceMs: deps.retireGraceMs,
    async ensureKey(keyId) {
      if (!(await state.meta(keyId, true))) await state.createKey(keyId);
    },
    rotate,
    async rotateDue() {
      const rotated: { keyId: string; version: number; reason: RotationReason }[] = [];
      for (const record of await store.listKeys()) {
        const primary = record.versions.find((v) => v.version === record.primaryVersion);
        const reason = primary && record.destroyedAt === undefined ? rotationDue(primary, policy, clock.now()) : undefined;
        if (reason) rotated.push({ keyId: record.keyId, version: await rotate(record.keyId), reason });
      }
      return rotated;
    },
    async retire(keyId, minVersion) {
      if (!Number.isInteger(minVersion) || minVersion < 1) throw new TypeError('minimum decryption version must be a positive integer');
      const record = await state.meta(keyId, true);
      if (!record) throw cryptoError('CRYPTO_KEY_UNKNOWN');
      if (record.destroyedAt !== undefined) throw cryptoError('CRYPTO_KEY_DESTROYED');
      if (minVersion > record.primaryVersion) throw cryptoError('CRYPTO_RETIRE_UNSAFE', 'the primary version cannot be retired');
      const now = clock.now();
      for (const v of record.versions) {
        const newlyRetired = v.version < minVersion && v.version >= record.minDecryptionVersion;
        if (newlyRetired && (v.demotedAt === undefined || now - v.demotedAt < deps.retireGraceMs)) {
          throw cryptoError('CRYPTO_RETIRE_UNSAFE', `version ${v.version} was demoted too recently to retire`);
        }
      }
      await store.setMinDecryptionVersion(keyId, minVersion);
      for (const v of record.versions) if (v.version < minVersion) cache.evict(keyId, v.version);
      changed(keyId);
    },
    async status() {
      const now = clock.now();
      return (await store.listKeys()).map((record) => ({
        keyId: record.keyId,
        primaryVersion: record.primaryVersion,
        minDecryptionVersion: record.minDecryptionVersion,
        destroyed: record.destroyedAt !== undefined,
        versions: record.versions.map((v) => ({
          keyId: v.keyId,
          version: v.version,
          state: v.state,
          primary: v.version === record.primaryVersion,
          usageCount: v.usageCount,
          createdAt: v.createdAt,
          demotedAt: v.demotedAt,
          ageMs: now - v.createdAt,
          kekProvider: v.wrapped.provider,
          kekLabel: v.wrapped.kekLabel,
          rotationDue: v.version === record.primaryVersion ? rotationDue(v, policy, now) : undefined,
        })),
      }));
    },
    currentKek() {
      return { provider: kek.kind, ...kek.current() };
    },
    async rewrapDeks(onProgress) {
      const target = kek.current();
      const versions = (await store.listKeys()).flatMap((record) => record.versions);
      let rewrapped = 0;
      let alreadyCurrent = 0;
      for (const v of versions) {
        if (v.wrapped.provider === kek.kind && v.wrapped.kekLabel === target.label) {
          alreadyCurrent += 1;
        } else {
          const dek = await state.holder(v).unwrap(v.wrapped);
          try {
            const next = await kek.wrap(dek);
            if (await store.replaceWrappedDek(v.keyId, v.version, v.wrapped, next)) rewrapped += 1;
          } finally {
            zeroize(dek);
          }
          state.forget(v.keyId);
        }
        onProgress?.(rewrapped + alreadyCurrent, versions.length);
      }
      return { rewrapped, alreadyCurrent };
    },
    async destroyKey(keyId) {
      const destroyed = await store.destroyKey(keyId, clock.now());
      cache.evict(keyId);
      changed(keyId);
      return destroyed;
    },
  };
}
