/**
 * Envelope-encryption key manager (NIST SP 800-57 key states; envelope encryption as in cloud
 * KMSs): per key id, versioned DEKs wrapped by a KEK, cached unwrapped for a bounded time.
 *
 * Usage counting across replicas: a replica reserves `reservationSize` encryptions at a time with
 * one atomic increment in the store, and spends them locally. Invariants:
 * - the store's counter is an upper bound of encryptions under each version, so the hard limit
 *   (policy.maxEncryptions) can never be exceeded by any number of replicas;
 * - a reservation is only granted while the version is active, and expires `reservationTtlMs`
 *   after it was granted, so no encryption under a version happens later than its demotion time
 *   plus that TTL. Retiring waits `retireGraceMs` (default twice the TTL, for clock skew) after
 *   demotion for that reason (see key-admin.ts).
 */
import type { KeyObject } from 'node:crypto';

import { systemClock, type Clock } from '../../../lib/clock/index.js';
import { cryptoError } from '../errors.js';
import type { KekProvider } from '../kek/types.js';
import { createKeyAdmin, type KeyAdmin } from './key-admin.js';
import { createDekCache } from './dek-cache.js';
import { createKeyRingState, type DataKey } from './key-ring-state.js';
import { resolvePolicy, rotationDue, type RotationPolicy } from './rotation-policy.js';
import type { KeyRecord, KeyRingStore } from './types.js';

export type { DataKey } from './key-ring-state.js';

export interface KeyManagerOptions {
  store: KeyRingStore;
  /** Wraps every new DEK. */
  kek: KekProvider;
  /** Older KEKs that may still unwrap (e.g. `local` while switching to `pkcs11`). */
  previousKeks?: readonly KekProvider[];
  clock?: Clock;
  /** How long an unwrapped DEK stays in memory. Default 5 minutes. */
  cacheTtlMs?: number;
  /** Most DEKs held unwrapped at once. Default 10,000. */
  cacheMaxEntries?: number;
  /** How long key metadata (primary, minimum decryption version) is trusted. Default 30 s. */
  metadataTtlMs?: number;
  /** Encryptions reserved per store round trip. Default 1,000. */
  reservationSize?: number;
  /** A reservation's lifetime. Default 60 s. */
  reservationTtlMs?: number;
  /** Minimum time between a version's demotion and its retirement. Default 2 × reservationTtlMs. */
  retireGraceMs?: number;
  policy?: Partial<RotationPolicy>;
  /** Rotate on the hot path when the primary is due by age or usage. Default true. */
  autoRotate?: boolean;
}

export interface KeyManager extends KeyAdmin {
  /** Key for one encryption under the primary version of `keyId` (created on first use). */
  encryptionKey(keyId: string): Promise<DataKey>;
  /** Synchronous fast path of `encryptionKey`; undefined when a store round trip is needed. */
  tryEncryptionKey(keyId: string): DataKey | undefined;
  /** Key to decrypt data under `version`: CRYPTO_KEY_UNKNOWN / _RETIRED / _DESTROYED otherwise. */
  decryptionKey(keyId: string, version: number): Promise<DataKey>;
  tryDecryptionKey(keyId: string, version: number): DataKey | undefined;
  /** Purpose-specific HKDF subkey of `keyId` (primary version unless `version` is given). */
  deriveKey(keyId: string, purpose: string, version?: number): Promise<{ version: number; key: KeyObject }>;
  /** The primary version of `keyId` as last seen (metadata TTL); CRYPTO_KEY_UNKNOWN if absent. */
  primaryVersion(keyId: string): Promise<number>;
  /** Versions that can still decrypt, newest first. */
  decryptableVersions(keyId: string): Promise<number[]>;
  /** Zeroes cached DEKs and drops reservations. KEK providers stay open (the caller owns them). */
  close(): Promise<void>;
}

interface Reservation {
  version: number;
  remaining: number;
  expiresAt: number;
}

export function createKeyManager(options: KeyManagerOptions): KeyManager {
  const clock = options.clock ?? systemClock;
  const policy = resolvePolicy(options.policy);
  const reservationSize = options.reservationSize ?? 1000;
  const reservationTtlMs = options.reservationTtlMs ?? 60_000;
  const autoRotate = options.autoRotate ?? true;
  if (!Number.isInteger(reservationSize) || reservationSize < 1) throw new TypeError('reservationSize must be a positive integer');
  if ((options.cacheTtlMs ?? 1000) < 1000) throw new TypeError('cacheTtlMs must be at least 1000');
  const cache = createDekCache(options.cacheMaxEntries ?? 10_000);
  const state = createKeyRingState({
    store: options.store,
    kek: options.kek,
    previousKeks: options.previousKeks ?? [],
    clock,
    cache,
    cacheTtlMs: options.cacheTtlMs ?? 5 * 60_000,
    metadataTtlMs: options.metadataTtlMs ?? 30_000,
  });
  const reservations = new Map<string, Reservation>();
  const refills = new Map<string, Promise<void>>();
  let closed = false;

  const admin = createKeyAdmin({
    state,
    store: options.store,
    kek: options.kek,
    clock,
    cache,
    policy,
    retireGraceMs: options.retireGraceMs ?? 2 * reservationTtlMs,
    onKeyChanged: (keyId) => reservations.delete(keyId),
  });

  function tryEncryptionKey(keyId: string): DataKey | undefined {
    const reservation = reservations.get(keyId);
    if (!reservation || reservation.remaining <= 0) return undefined;
    const now = clock.now();
    if (now >= reservation.expiresAt) return undefined;
    const entry = cache.get(keyId, reservation.version, now);
    if (!entry) return undefined;
    reservation.remaining -= 1;
    return state.handle(entry);
  }

  /** Reserves encryptions under the current primary, rotating first when policy says so. */
  async function refill(keyId: string): Promise<void> {
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const record = await state.meta(keyId, attempt > 0 || reservations.has(keyId));
      if (!record) {
        await state.createKey(keyId);
        continue;
      }
      if (record.destroyedAt !== undefined) throw cryptoError('CRYPTO_KEY_DESTROYED');
      const primary = record.versions.find((v) => v.version === record.primaryVersion);
      if (!primary) throw cryptoError('CRYPTO_KEY_UNKNOWN');
      if (autoRotate && rotationDue(primary, policy, clock.now()) !== undefined) {
        await state.rotateFrom(keyId, primary.version);
        continue;
      }
      const total = await options.store.reserveUsage(keyId, primary.version, reservationSize);
      if (total === undefined) continue; // demoted meanwhile by another replica: re-read
      const usable = Math.min(reservationSize, policy.maxEncryptions - (total - reservationSize));
      if (usable <= 0 || (autoRotate && total >= policy.rotateAfterEncryptions)) {
        if (!autoRotate) throw cryptoError('CRYPTO_ROTATION_REQUIRED');
        await state.rotateFrom(keyId, primary.version);
        continue;
      }
      await state.load(primary);
      reservations.set(keyId, { version: primary.version, remaining: usable, expiresAt: clock.now() + reservationTtlMs });
      return;
    }
    throw cryptoError('CRYPTO_ROTATION_REQUIRED', 'the key ring kept changing during the reservation; retry');
  }

  function tryDecryptionKey(keyId: string, version: number): DataKey | undefined {
    const now = clock.now();
    const record = state.freshMeta(keyId, now);
    if (!record || version < record.minDecryptionVersion || version > record.primaryVersion) return undefined;
    const entry = cache.get(keyId, version, now);
    return entry ? state.handle(entry) : undefined;
  }

  async function decryptable(keyId: string, version: number): Promise<KeyRecord['versions'][number]> {
    let record = await state.meta(keyId);
    if (!record || version > record.primaryVersion) record = await state.meta(keyId, true);
    if (!record) throw cryptoError('CRYPTO_KEY_UNKNOWN');
    if (record.destroyedAt !== undefined) throw cryptoError('CRYPTO_KEY_DESTROYED');
    const found = record.versions.find((v) => v.version === version);
    if (!found) throw cryptoError('CRYPTO_KEY_UNKNOWN');
    if (version < record.minDecryptionVersion) throw cryptoError('CRYPTO_KEY_RETIRED');
    return found;
  }

  const live = () => {
    if (closed) throw new TypeError('the key manager is closed');
  };

  return {
    ...admin,
    tryEncryptionKey,
    async encryptionKey(keyId) {
      live();
      // Each refill grants `reservationSize` encryptions; only a flood of concurrent callers
      // larger than that can need more than one round.
      for (let round = 0; round < 64; round += 1) {
        const key = tryEncryptionKey(keyId);
        if (key) return key;
        await (refills.get(keyId) ?? startRefill(keyId));
      }
      throw cryptoError('CRYPTO_ROTATION_REQUIRED', 'no encryption key could be reserved; retry');
    },
    tryDecryptionKey,
    async decryptionKey(keyId, version) {
      live();
      return tryDecryptionKey(keyId, version) ?? state.handle(await state.load(await decryptable(keyId, version)));
    },
    async deriveKey(keyId, purpose, version) {
      live();
      if (version === undefined) {
        let record = await state.meta(keyId);
        if (!record) {
          await state.createKey(keyId);
          record = await state.meta(keyId, true);
        }
        if (!record) throw cryptoError('CRYPTO_KEY_UNKNOWN');
        version = record.primaryVersion;
      }
      const target = await decryptable(keyId, version);
      try {
        return { version, key: state.subkey(await state.load(target), purpose) };
      } catch {
        // The DEK was evicted between load and derivation: load it once more.
        return { version, key: state.subkey(await state.load(target), purpose) };
      }
    },
    async primaryVersion(keyId) {
      const record = await state.meta(keyId);
      if (!record) throw cryptoError('CRYPTO_KEY_UNKNOWN');
      if (record.destroyedAt !== undefined) throw cryptoError('CRYPTO_KEY_DESTROYED');
      return record.primaryVersion;
    },
    async decryptableVersions(keyId) {
      const record = await state.meta(keyId);
      if (!record || record.destroyedAt !== undefined) return [];
      return record.versions.filter((v) => v.version >= record.minDecryptionVersion).map((v) => v.version).reverse();
    },
    async close() {
      closed = true;
      reservations.clear();
      cache.clear();
    },
  };

  function startRefill(keyId: string): Promise<void> {
    const running = refill(keyId).finally(() => refills.delete(keyId));
    refills.set(keyId, running);
    return running;
  }
}
