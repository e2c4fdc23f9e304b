/**
 * In-process KeyRingStore for tests and single-process tools. Each method runs to completion
 * without awaiting, so the store's atomicity contracts hold trivially within one process.
 */
import type { KeyRecord, KeyRingStore, KeyState, KeyVersionRecord, NewKeyVersion, WrappedDek } from './types.js';

interface MutableKey {
  primaryVersion: number;
  minDecryptionVersion: number;
  createdAt: number;
  destroyedAt: number | undefined;
  versions: KeyVersionRecord[];
}

export function stateOf(version: number, primaryVersion: number, minDecryptionVersion: number): KeyState {
  if (version === primaryVersion) return 'active';
  return version < minDecryptionVersion ? 'retired' : 'decrypt-only';
}

export function createMemoryKeyRingStore(): KeyRingStore {
  const keys = new Map<string, MutableKey>();

  const snapshot = (keyId: string, key: MutableKey): KeyRecord => ({
    keyId,
    primaryVersion: key.primaryVersion,
    minDecryptionVersion: key.minDecryptionVersion,
    createdAt: key.createdAt,
    destroyedAt: key.destroyedAt,
    versions: key.versions.map((v) => ({ ...v, wrapped: { ...v.wrapped, blob: Buffer.from(v.wrapped.blob) } })),
  });

  const record = (keyId: string, version: number, next: NewKeyVersion): KeyVersionRecord => ({
    keyId,
    version,
    state: 'active',
    wrapped: { ...next.wrapped, blob: Buffer.from(next.wrapped.blob) },
    createdAt: next.createdAt,
    demotedAt: undefined,
    usageCount: 0,
  });

  return {
    async getKey(keyId) {
      const key = keys.get(keyId);
      return key ? snapshot(keyId, key) : undefined;
    },
    async listKeys() {
      return [...keys.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, key]) => snapshot(id, key));
    },
    async createKey(keyId, first) {
      if (keys.has(keyId)) return false;
      keys.set(keyId, {
        primaryVersion: 1,
        minDecryptionVersion: 1,
        createdAt: first.createdAt,
        destroyedAt: undefined,
        versions: [record(keyId, 1, first)],
      });
      return true;
    },
    async addPrimaryVersion(keyId, expectedPrimary, next) {
      const key = keys.get(keyId);
      if (!key || key.destroyedAt !== undefined || key.primaryVersion !== expectedPrimary) return false;
      key.versions = key.versions.map((v) =>
        v.version === expectedPrimary ? { ...v, state: 'decrypt-only', demotedAt: next.createdAt } : v,
      );
      key.versions.push(record(keyId, expectedPrimary + 1, next));
      key.primaryVersion = expectedPrimary + 1;
      return true;
    },
    async reserveUsage(keyId, version, count) {
      const key = keys.get(keyId);
      if (!key || key.destroyedAt !== undefined || key.primaryVersion !== version) return undefined;
      const index = key.versions.findIndex((v) => v.version === version);
      const current = key.versions[index] as KeyVersionRecord;
      const usageCount = current.usageCount + count;
      key.versions[index] = { ...current, usageCount };
      return usageCount;
    },
    async setMinDecryptionVersion(keyId, minVersion) {
      const key = keys.get(keyId);
      if (!key || key.destroyedAt !== undefined) return;
      if (minVersion < 1 || minVersion > key.primaryVersion) throw new RangeError('minimum decryption version out of range');
      key.minDecryptionVersion = minVersion;
      key.versions = key.versions.map((v) => ({ ...v, state: stateOf(v.version, key.primaryVersion, minVersion) }));
    },
    async replaceWrappedDek(keyId, version, expected, next) {
      const key = keys.get(keyId);
      const index = key?.versions.findIndex((v) => v.version === version) ?? -1;
      if (!key || index < 0) return false;
      const current = key.versions[index] as KeyVersionRecord;
      if (!sameWrapped(current.wrapped, expected)) return false;
      key.versions[index] = { ...current, wrapped: { ...next, blob: Buffer.from(next.blob) } };
      return true;
    },
    async destroyKey(keyId, now) {
      const key = keys.get(keyId);
      if (!key || key.destroyedAt !== undefined) return false;
      for (const v of key.versions) v.wrapped.blob.fill(0);
      key.versions = [];
      key.destroyedAt = now;
      return true;
    },
  };
}

export function sameWrapped(a: WrappedDek, b: WrappedDek): boolean {
  return a.provider === b.provider && a.kekLabel === b.kekLabel && a.kekVersion === b.kekVersion && a.blob.equals(b.blob);
}
