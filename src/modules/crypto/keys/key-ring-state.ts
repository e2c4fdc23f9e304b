/**
 * Internal state shared by the key manager's hot path and its admin operations: the metadata
 * cache, the DEK cache, single-flight loading, and the two writes that create versions
 * (first version, rotation). Not exported from the module.
 *
 * Derivation (RFC 5869 HKDF-SHA256, empty salt): a DEK is never used directly.
 *   envelope key = HKDF(DEK, info = lp("q2/envelope-key/v1", keyId, u32 version))
 *   subkey       = HKDF(DEK, info = lp("q2/subkey/v1", keyId, u32 version, purpose))
 * Binding key id and version into every derived key means a wrapped DEK copied onto another
 * key-ring row yields different keys, so it cannot decrypt or forge that row's data.
 */
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

import type { Clock } from '../../../lib/clock/index.js';
import { cryptoError } from '../errors.js';
import { isValidKeyId } from '../envelope/format.js';
import { lengthPrefixed, u32be, zeroize } from '../primitives/bytes.js';
import { hkdfSha256 } from '../primitives/kdf.js';
import type { KekProvider } from '../kek/types.js';
import { cacheKey, type CachedDek, type DekCache } from './dek-cache.js';
import type { KeyRecord, KeyRingStore, KeyVersionRecord } from './types.js';

export const DEK_BYTES = 32;
const EMPTY = Buffer.alloc(0);

/** What encryption and decryption get: never the DEK itself. */
export interface DataKey {
  readonly keyId: string;
  readonly version: number;
  /** AES-256-GCM key derived from the DEK for envelope encryption. */
  readonly aesKey: KeyObject;
}

export interface KeyRingStateOptions {
  store: KeyRingStore;
  kek: KekProvider;
  previousKeks: readonly KekProvider[];
  clock: Clock;
  cache: DekCache;
  cacheTtlMs: number;
  metadataTtlMs: number;
}

function deriveKeyObject(dek: Uint8Array, info: Buffer): KeyObject {
  const bytes = hkdfSha256(dek, EMPTY, info, 32);
  try {
    return createSecretKey(bytes);
  } finally {
    zeroize(bytes);
  }
}

export function subkeyInfo(keyId: string, version: number, purpose: string): Buffer {
  return lengthPrefixed(['q2/subkey/v1', keyId, u32be(version), purpose]);
}

function singleFlight<T>(running: Map<string, Promise<T>>, key: string, work: () => Promise<T>): Promise<T> {
  const existing = running.get(key);
  if (existing) return existing;
  const started = work().finally(() => running.delete(key));
  running.set(key, started);
  return started;
}

export function createKeyRingState(options: KeyRingStateOptions) {
  const { store, kek, previousKeks, clock, cache, cacheTtlMs, metadataTtlMs } = options;
  const metas = new Map<string, { record: KeyRecord | undefined; fetchedAt: number }>();
  const metaLoads = new Map<string, Promise<KeyRecord | undefined>>();
  const dekLoads = new Map<string, Promise<CachedDek>>();
  const handles = new WeakMap<CachedDek, DataKey>();

  function remember(keyId: string, version: number, dek: Buffer): CachedDek {
    const now = clock.now();
    const entry: CachedDek = {
      keyId,
      version,
      aesKey: deriveKeyObject(dek, lengthPrefixed(['q2/envelope-key/v1', keyId, u32be(version)])),
      expiresAt: now + cacheTtlMs,
      dek,
      subkeys: new Map(),
    };
    handles.set(entry, Object.freeze({ keyId, version, aesKey: entry.aesKey }));
    cache.set(entry, now);
    return entry;
  }

  function holder(version: KeyVersionRecord): KekProvider {
    const provider = [kek, ...previousKeks].find((p) => p.holds(version.wrapped));
    if (!provider) throw cryptoError('CRYPTO_KEY_UNKNOWN', 'the data key is wrapped under a KEK no configured provider holds');
    return provider;
  }

  const state = {
    /** Cached metadata if fresh; undefined if absent or stale. */
    freshMeta(keyId: string, now = clock.now()): KeyRecord | undefined {
      const meta = metas.get(keyId);
      return meta && now - meta.fetchedAt < metadataTtlMs ? meta.record : undefined;
    },
    async meta(keyId: string, refresh = false): Promise<KeyRecord | undefined> {
      if (!refresh) {
        const meta = metas.get(keyId);
        if (meta && clock.now() - meta.fetchedAt < metadataTtlMs) return meta.record;
      }
      return singleFlight(metaLoads, keyId, async () => {
        const record = await store.getKey(keyId);
        metas.set(keyId, { record, fetchedAt: clock.now() });
        return record;
      });
    },
    forget(keyId: string): void {
      metas.delete(keyId);
    },
    handle(entry: CachedDek): DataKey {
      return handles.get(entry) as DataKey;
    },
    /** The cached or freshly unwrapped DEK of `version`. */
    async load(version: KeyVersionRecord): Promise<CachedDek> {
      const cached = cache.get(version.keyId, version.version, clock.now());
      if (cached?.dek) return cached;
      return singleFlight(dekLoads, cacheKey(version.keyId, version.version), async () => {
        const dek = await holder(version).unwrap(version.wrapped);
        if (dek.length !== DEK_BYTES) {
          zeroize(dek);
          throw cryptoError('CRYPTO_DECRYPT_FAILED');
        }
        return remember(version.keyId, version.version, dek);
      });
    },
    /** HKDF subkey for `purpose`, memoised with the DEK (and evicted with it). */
    subkey(entry: CachedDek, purpose: string): KeyObject {
      let key = entry.subkeys.get(purpose);
      if (key) return key;
      if (!entry.dek) throw cryptoError('CRYPTO_KEY_UNKNOWN', 'the data key was evicted; retry');
      key = deriveKeyObject(entry.dek, subkeyInfo(entry.keyId, entry.version, purpose));
      entry.subkeys.set(purpose, key);
      return key;
    },
    holder,
    /** Creates version 1 of `keyId` unless another caller (or replica) did first. */
    async createKey(keyId: string): Promise<void> {
      if (!isValidKeyId(keyId)) throw new TypeError(`invalid key id "${keyId}": use [a-z0-9][a-z0-9._-]{0,63}`);
      const dek = randomBytes(DEK_BYTES);
      const created = await store.createKey(keyId, { wrapped: await kek.wrap(dek), createdAt: clock.now() });
      metas.delete(keyId);
      if (created) remember(keyId, 1, dek);
      else zeroize(dek);
    },
    /**
     * Makes a new version primary if the primary is still `expectedPrimary` (compare-and-swap);
     * returns false when another caller rotated first, which is not an error.
     */
    async rotateFrom(keyId: string, expectedPrimary: number): Promise<boolean> {
      const dek = randomBytes(DEK_BYTES);
      let rotated = false;
      try {
        rotated = await store.addPrimaryVersion(keyId, expectedPrimary, { wrapped: await kek.wrap(dek), createdAt: clock.now() });
      } finally {
        metas.delete(keyId);
        if (rotated) remember(keyId, expectedPrimary + 1, dek);
        else zeroize(dek);
      }
      return rotated;
    },
  };
  return state;
}

export type KeyRingState = ReturnType<typeof createKeyRingState>;
