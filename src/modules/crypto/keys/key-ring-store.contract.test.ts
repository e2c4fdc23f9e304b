/**
 * KeyRingStore contract: the in-memory store and the Kysely store (SQLite file; PostgreSQL too
 * when Q2_TEST_DATABASE_URL is set) must behave the same, including under concurrent callers.
 */
import { afterAll, describe, expect, it } from 'vitest';

import { createDatabase, type Database } from '../../../lib/db/index.js';
import { createThrowawayPostgres, createThrowawaySqlite, type ThrowawayDatabase } from '../../../../test/support/backends.js';
import { createKyselyKeyRingStore } from './kysely-store.js';
import { createMemoryKeyRingStore } from './memory-store.js';
import type { KeyRingStore, WrappedDek } from './types.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function kysely(provision: () => Promise<ThrowawayDatabase>): Promise<KeyRingStore> {
  const target = await provision();
  const db: Database = await createDatabase(target.url);
  await db.migrate();
  cleanups.push(async () => {
    await db.close();
    await target.drop();
  });
  return createKyselyKeyRingStore(db.kysely);
}

const backends: [string, () => Promise<KeyRingStore>][] = [
  ['memory', async () => createMemoryKeyRingStore()],
  ['sqlite', () => kysely(createThrowawaySqlite)],
];
const postgresUrl = process.env.Q2_TEST_DATABASE_URL;
if (postgresUrl) backends.push(['postgres', () => kysely(() => createThrowawayPostgres(postgresUrl))]);

const wrapped = (n: number, label = 'local:aa'): WrappedDek => ({ alg: 'A256KWP', provider: 'local', kekLabel: label, kekVersion: 1, blob: Buffer.alloc(40, n) });

describe.each(backends)('KeyRingStore contract (%s)', (_name, open) => {
  it('creates a key once: exactly one of several concurrent creators wins', async () => {
    const store = await open();
    const results = await Promise.all([1, 2, 3, 4].map((n) => store.createKey('k', { wrapped: wrapped(n), createdAt: 100 })));
    expect(results.filter(Boolean)).toHaveLength(1);
    const key = await store.getKey('k');
    expect(key).toMatchObject({ keyId: 'k', primaryVersion: 1, minDecryptionVersion: 1, createdAt: 100, destroyedAt: undefined });
    expect(key!.versions).toHaveLength(1);
    expect(key!.versions[0]).toMatchObject({ version: 1, state: 'active', usageCount: 0, demotedAt: undefined });
    expect(await store.getKey('missing')).toBeUndefined();
  });

  it('rotates by compare-and-swap: one of two concurrent rotations wins', async () => {
    const store = await open();
    await store.createKey('k', { wrapped: wrapped(1), createdAt: 100 });
    const results = await Promise.all([
      store.addPrimaryVersion('k', 1, { wrapped: wrapped(2), createdAt: 200 }),
      store.addPrimaryVersion('k', 1, { wrapped: wrapped(3), createdAt: 200 }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const key = await store.getKey('k');
    expect(key!.primaryVersion).toBe(2);
    expect(key!.versions.map((v) => [v.version, v.state, v.demotedAt])).toEqual([
      [1, 'decrypt-only', 200],
      [2, 'active', undefined],
    ]);
    expect(await store.addPrimaryVersion('k', 1, { wrapped: wrapped(4), createdAt: 300 })).toBe(false);
  });

  it('reserves usage atomically and only on the active version', async () => {
    const store = await open();
    await store.createKey('k', { wrapped: wrapped(1), createdAt: 100 });
    const totals = await Promise.all(Array.from({ length: 10 }, () => store.reserveUsage('k', 1, 1000)));
    expect([...totals].sort((a, b) => a! - b!)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 1000));
    await store.addPrimaryVersion('k', 1, { wrapped: wrapped(2), createdAt: 200 });
    expect(await store.reserveUsage('k', 1, 1000)).toBeUndefined();
    expect(await store.reserveUsage('k', 2, 5)).toBe(5);
    expect((await store.getKey('k'))!.versions[0]!.usageCount).toBe(10_000);
  });

  it('retires below the minimum decryption version and can restore', async () => {
    const store = await open();
    await store.createKey('k', { wrapped: wrapped(1), createdAt: 100 });
    await store.addPrimaryVersion('k', 1, { wrapped: wrapped(2), createdAt: 200 });
    await store.addPrimaryVersion('k', 2, { wrapped: wrapped(3), createdAt: 300 });
    await store.setMinDecryptionVersion('k', 3);
    expect((await store.getKey('k'))!.versions.map((v) => v.state)).toEqual(['retired', 'retired', 'active']);
    await store.setMinDecryptionVersion('k', 2);
    const key = await store.getKey('k');
    expect(key!.minDecryptionVersion).toBe(2);
    expect(key!.versions.map((v) => v.state)).toEqual(['retired', 'decrypt-only', 'active']);
    await expect(store.setMinDecryptionVersion('k', 4)).rejects.toThrow(RangeError);
    expect((await store.getKey('k'))!.minDecryptionVersion).toBe(2);
  });

  it('replaces a wrapped DEK only while it is unchanged', async () => {
    const store = await open();
    await store.createKey('k', { wrapped: wrapped(1), createdAt: 100 });
    expect(await store.replaceWrappedDek('k', 1, wrapped(9), wrapped(2, 'local:bb'))).toBe(false);
    expect(await store.replaceWrappedDek('k', 1, wrapped(1), wrapped(2, 'local:bb'))).toBe(true);
    expect(await store.replaceWrappedDek('k', 1, wrapped(1), wrapped(3, 'local:cc'))).toBe(false);
    expect((await store.getKey('k'))!.versions[0]!.wrapped).toEqual(wrapped(2, 'local:bb'));
  });

  it('destroys a key for good', async () => {
    const store = await open();
    await store.createKey('k', { wrapped: wrapped(1), createdAt: 100 });
    expect(await store.destroyKey('k', 500)).toBe(true);
    expect(await store.destroyKey('k', 600)).toBe(false);
    const key = await store.getKey('k');
    expect(key).toMatchObject({ destroyedAt: 500, versions: [] });
    expect(await store.createKey('k', { wrapped: wrapped(2), createdAt: 700 })).toBe(false);
    expect(await store.addPrimaryVersion('k', 1, { wrapped: wrapped(2), createdAt: 700 })).toBe(false);
    expect(await store.reserveUsage('k', 1, 1)).toBeUndefined();
  });

  it('lists keys in id order', async () => {
    const store = await open();
    for (const id of ['b', 'a', 'c']) await store.createKey(id, { wrapped: wrapped(1), createdAt: 1 });
    expect((await store.listKeys()).map((k) => k.keyId)).toEqual(['a', 'b', 'c']);
  });
});
