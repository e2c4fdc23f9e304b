/**
 * Bounded cache of unwrapped DEKs and the subkeys derived from them. Entries live at most
 * `ttlMs` from load (not sliding: a hot key is still re-unwrapped, so a KEK revocation takes
 * effect within one TTL) and at most `maxEntries` at once (oldest evicted first). On eviction the
 * DEK buffer is zeroed. Derived subkeys are KeyObjects whose bytes sit in OpenSSL memory that JS
 * cannot reach; dropping the last reference lets OpenSSL clear-free them at collection.
 */
import type { KeyObject } from 'node:crypto';

import { zeroize } from '../primitives/bytes.js';

export interface CachedDek {
  readonly keyId: string;
  readonly version: number;
  /** AES-256-GCM key for envelope encryption, derived from the DEK (see key-manager.ts). */
  readonly aesKey: KeyObject;
  readonly expiresAt: number;
  /** Raw DEK; zeroed on eviction. Undefined once evicted. */
  dek: Buffer | undefined;
  readonly subkeys: Map<string, KeyObject>;
}

export interface DekCache {
  get(keyId: string, version: number, now: number): CachedDek | undefined;
  set(entry: CachedDek, now: number): void;
  evict(keyId: string, version?: number): void;
  clear(): void;
  readonly size: number;
}

export function cacheKey(keyId: string, version: number): string {
  return `${keyId}\u0000${version}`;
}

export function createDekCache(maxEntries: number): DekCache {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError('cache size must be a positive integer');
  // Insertion order = load order, so expired entries cluster at the front.
  const entries = new Map<string, CachedDek>();

  const drop = (key: string, entry: CachedDek) => {
    entries.delete(key);
    zeroize(entry.dek);
    entry.dek = undefined;
    entry.subkeys.clear();
  };

  const sweep = (now: number) => {
    for (const [key, entry] of entries) {
      if (entry.expiresAt > now && entries.size <= maxEntries) break;
      drop(key, entry);
    }
  };

  return {
    get(keyId, version, now) {
      const key = cacheKey(keyId, version);
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= now) {
        drop(key, entry);
        return undefined;
      }
      return entry;
    },
    set(entry, now) {
      const key = cacheKey(entry.keyId, entry.version);
      const previous = entries.get(key);
      if (previous && previous !== entry) drop(key, previous);
      entries.set(key, entry);
      sweep(now);
    },
    evict(keyId, version) {
      for (const [key, entry] of entries) {
        if (entry.keyId === keyId && (version === undefined || entry.version === version)) drop(key, entry);
      }
    },
    clear() {
      for (const [key, entry] of entries) drop(key, entry);
    },
    get size() {
      return entries.size;
    },
  };
}
