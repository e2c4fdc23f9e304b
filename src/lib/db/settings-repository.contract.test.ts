/** SettingsRepository contract: identical compare-and-swap semantics on SQLite and PostgreSQL. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { databaseBackends, type ThrowawayDatabase } from '../../../test/support/backends.js';
import { createManualClock } from '../clock/index.js';
import { createDatabase, type Database } from './database.js';
import { createSettingsRepository, type SettingsRepository } from './settings-repository.js';

const backends = await databaseBackends();

describe.each(backends)('SettingsRepository contract on $name', (backend) => {
  let throwaway: ThrowawayDatabase;
  let db: Database;
  const clock = createManualClock();
  let settings: SettingsRepository;

  beforeAll(async () => {
    throwaway = await backend.provision();
    db = await createDatabase(throwaway.url);
    await db.migrate();
    settings = createSettingsRepository(db, clock);
  });

  afterAll(async () => {
    await db?.close();
    await throwaway?.drop();
  });

  beforeEach(async () => {
    await db.kysely.deleteFrom('settings').execute();
  });

  it('returns null for a key never written', async () => {
    await expect(settings.get('missing')).resolves.toBeNull();
  });

  it('creates a key at version 1 and reads back value, version and time', async () => {
    const value = { engaged: true, reason: 'drill', limits: [1, 2, 3], nested: { ok: null } };
    await expect(settings.put('kill-switch', value, null)).resolves.toEqual({ ok: true, version: 1n });
    await expect(settings.get('kill-switch')).resolves.toEqual({ key: 'kill-switch', value, version: 1n, updatedAt: clock.now() });
  });

  it('refuses to create a key that already exists and reports its version', async () => {
    await settings.put('k', 1, null);
    await expect(settings.put('k', 2, null)).resolves.toEqual({ ok: false, currentVersion: 1n });
    expect((await settings.get('k'))?.value).toBe(1);
  });

  it('updates only at the expected version and bumps it by one', async () => {
    await settings.put('k', 'a', null);
    clock.advance(1_000);
    await expect(settings.put('k', 'b', 1n)).resolves.toEqual({ ok: true, version: 2n });
    await expect(settings.put('k', 'stale', 1n)).resolves.toEqual({ ok: false, currentVersion: 2n });
    const stored = await settings.get('k');
    expect(stored).toMatchObject({ value: 'b', version: 2n, updatedAt: clock.now() });
  });

  it('reports a null current version when updating a key that does not exist', async () => {
    await expect(settings.put('absent', 'x', 3n)).resolves.toEqual({ ok: false, currentVersion: null });
    await expect(settings.get('absent')).resolves.toBeNull();
  });

  it('deletes only at the expected version', async () => {
    await settings.put('k', 'a', null);
    await expect(settings.delete('k', 2n)).resolves.toEqual({ ok: false, currentVersion: 1n });
    await expect(settings.delete('k', 1n)).resolves.toEqual({ ok: true });
    await expect(settings.get('k')).resolves.toBeNull();
    await expect(settings.delete('k', 1n)).resolves.toEqual({ ok: false, currentVersion: null });
    await expect(settings.list()).resolves.toEqual([]);
  });

  it('never reuses a version after delete and re-create, so a stale writer cannot win (no ABA)', async () => {
    await settings.put('k', 'first', null); // v1
    await settings.delete('k', 1n); // tombstone v2
    await expect(settings.put('k', 'second', null)).resolves.toEqual({ ok: true, version: 3n });
    await expect(settings.put('k', 'stale writer', 1n)).resolves.toEqual({ ok: false, currentVersion: 3n });
    expect((await settings.get('k'))?.value).toBe('second');
  });

  it('lets exactly one of 20 concurrent writers with the same expected version win', async () => {
    await settings.put('race', 0, null);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => settings.put('race', i, 1n)));
    const winners = results.filter((r) => r.ok);
    expect(winners).toEqual([{ ok: true, version: 2n }]);
    for (const r of results) if (!r.ok) expect(r.currentVersion).toBe(2n);
    expect((await settings.get('race'))?.version).toBe(2n);
  });

  it('lets exactly one of 20 concurrent creators win', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => settings.put('race-create', i, null)));
    expect(results.filter((r) => r.ok)).toEqual([{ ok: true, version: 1n }]);
  });

  it('lets exactly one of 20 concurrent deleters win', async () => {
    await settings.put('race-delete', 0, null);
    const results = await Promise.all(Array.from({ length: 20 }, () => settings.delete('race-delete', 1n)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it('lists by exact, case-sensitive prefix, sorted, treating LIKE wildcards literally', async () => {
    for (const key of ['ip:b', 'ip:a', 'IP:upper', 'ipx', 'ip%:wild', 'i_:under', 'kill']) await settings.put(key, key, null);
    expect((await settings.list('ip:')).map((s) => s.key)).toEqual(['ip:a', 'ip:b']);
    expect((await settings.list('ip%')).map((s) => s.key)).toEqual(['ip%:wild']);
    expect((await settings.list('i_')).map((s) => s.key)).toEqual(['i_:under']);
    expect((await settings.list()).map((s) => s.key)).toEqual(['IP:upper', 'i_:under', 'ip%:wild', 'ip:a', 'ip:b', 'ipx', 'kill']);
  });

  it('lists by a prefix containing astral unicode characters', async () => {
    for (const key of ['😀:a', '😀:b', '😀x', '😁:c']) await settings.put(key, 1, null);
    expect((await settings.list('😀:')).map((s) => s.key)).toEqual(['😀:a', '😀:b']);
  });

  it('stores injection strings and unicode verbatim in keys and values', async () => {
    const hostile = "'; DROP TABLE settings; -- ☠ 𝔘 \\\" %_";
    await settings.put(hostile, { note: hostile }, null);
    await expect(settings.get(hostile)).resolves.toMatchObject({ key: hostile, value: { note: hostile } });
    expect((await settings.list("'; DROP")).map((s) => s.key)).toEqual([hostile]);
  });

  it('rejects misuse with TypeError', async () => {
    await expect(settings.get('')).rejects.toThrow(TypeError);
    await expect(settings.put('k'.repeat(201), 1, null)).rejects.toThrow(TypeError);
    await expect(settings.put('k', 1n, null)).rejects.toThrow(TypeError);
    await expect(settings.put('k', undefined, null)).rejects.toThrow(TypeError);
    await expect(settings.put('k', 1, 0n)).rejects.toThrow(TypeError);
    await expect(settings.put('k', 1, 1 as unknown as bigint)).rejects.toThrow(TypeError);
    await expect(settings.delete('k', null as unknown as bigint)).rejects.toThrow(TypeError);
  });
});
