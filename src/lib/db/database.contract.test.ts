/**
 * One contract, every dialect: the same cases run against SQLite (temp file) and PostgreSQL
 * (a throw-away database per file), so repository code can rely on identical behaviour.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { databaseBackends, type ThrowawayDatabase } from '../../../test/support/backends.js';
import { createDatabase, type Database } from './database.js';
import { migrations } from './migrations/index.js';

const backends = await databaseBackends();

const HOSTILE_STRINGS = [
  "'; DROP TABLE settings; --",
  "' OR '1'='1",
  '" OR ""="',
  "\\'; SELECT pg_sleep(10); --",
  'Robert"); DELETE FROM settings WHERE ("a"="a',
  '$1 $2 ? ?1 :name @p',
  '%_[]^*',
  '/* comment */ -- tail',
  '\\x00\\\\',
];

const UNICODE_STRINGS = ['😀 emoji', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'e\u0301 (NFD)', '\u00e9 (NFC)', 'עברית RTL', '中文字符', 'Ω≈ç√∫', '\u200b zero width'];

describe.each(backends)('Database contract on $name', (backend) => {
  let throwaway: ThrowawayDatabase;
  let db: Database;
  let firstMigration: { applied: string[] };

  beforeAll(async () => {
    throwaway = await backend.provision();
    db = await createDatabase(throwaway.url);
    firstMigration = await db.migrate();
  });

  afterAll(async () => {
    await db?.close();
    await throwaway?.drop();
  });

  function row(key: string, value: string | null = '{}', version = 1n) {
    return { key, value, version, updated_at: 1_767_225_600_000n };
  }

  it('reports its dialect', () => {
    expect(db.dialect).toBe(backend.name);
  });

  it('applies every registered migration, in order, on a fresh database', () => {
    expect(firstMigration.applied).toEqual(Object.keys(migrations));
  });

  it('applies nothing when migrated again', async () => {
    await expect(db.migrate()).resolves.toEqual({ applied: [] });
  });

  it('declares every integer column bigint, and no boolean or timestamp columns (integer convention)', async () => {
    const tables = await db.kysely.introspection.getTables();
    const offending = tables
      .filter((t) => !t.name.startsWith('kysely_'))
      .flatMap((t) => t.columns.map((c) => ({ column: `${t.name}.${c.name}`, type: c.dataType.toLowerCase() })))
      .filter(({ type }) => /^(int|int2|int4|integer|smallint|mediumint|tinyint|bool|boolean|timestamp|timestamptz|date|datetime)$/.test(type));
    expect(offending).toEqual([]);
    expect(tables.map((t) => t.name)).toContain('settings');
  });

  it('applies pending migrations all-or-nothing: a failure leaves no table and no record behind', async () => {
    const broken: Record<string, Migration> = {
      ...migrations,
      '9998_probe_ok': {
        up: async (k: Kysely<unknown>) => {
          await k.schema.createTable('probe_ok').addColumn('id', 'bigint', (c) => c.primaryKey()).execute();
        },
      },
      '9999_probe_broken': {
        up: async (k: Kysely<unknown>) => {
          await k.schema.createTable('probe_broken').addColumn('id', 'bigint').execute();
          throw new Error('migration bug');
        },
      },
    };
    const other = await createDatabase(throwaway.url, { migrations: broken });
    try {
      await expect(other.migrate()).rejects.toThrow('migration bug');
    } finally {
      await other.close();
    }
    const names = (await db.kysely.introspection.getTables()).map((t) => t.name);
    expect(names).not.toContain('probe_ok');
    expect(names).not.toContain('probe_broken');
    await expect(db.migrate()).resolves.toEqual({ applied: [] });
  });

  it('answers ping', async () => {
    await expect(db.ping()).resolves.toBeUndefined();
  });

  it('commits a transaction', async () => {
    await db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('settings').values(row('tx-commit-a')).execute();
      await trx.insertInto('settings').values(row('tx-commit-b')).execute();
    });
    const keys = await db.kysely.selectFrom('settings').select('key').where('key', 'in', ['tx-commit-a', 'tx-commit-b']).execute();
    expect(keys.map((r) => r.key).sort()).toEqual(['tx-commit-a', 'tx-commit-b']);
  });

  it('rolls back every write of a transaction whose callback throws', async () => {
    const boom = new Error('boom');
    await expect(
      db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto('settings').values(row('tx-rollback')).execute();
        throw boom;
      }),
    ).rejects.toBe(boom);
    const found = await db.kysely.selectFrom('settings').select('key').where('key', '=', 'tx-rollback').executeTakeFirst();
    expect(found).toBeUndefined();
  });

  it('rolls back a transaction that violates a constraint midway', async () => {
    await expect(
      db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto('settings').values(row('tx-dup-other')).execute();
        await trx.insertInto('settings').values(row('tx-dup')).execute();
        await trx.insertInto('settings').values(row('tx-dup')).execute();
      }),
    ).rejects.toThrow();
    const found = await db.kysely.selectFrom('settings').select('key').where('key', 'like', 'tx-dup%').execute();
    expect(found).toEqual([]);
  });

  it('round-trips integers beyond 2^53 exactly, as bigint', async () => {
    const values = [2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), 0n, -1n];
    for (const [i, version] of values.entries()) {
      await db.kysely.insertInto('settings').values(row(`big-${i}`, '{}', version)).execute();
    }
    const rows = await db.kysely.selectFrom('settings').select(['key', 'version', 'updated_at']).where('key', 'like', 'big-%').orderBy('key').execute();
    expect(rows.map((r) => r.version)).toEqual(values);
    for (const r of rows) {
      expect(typeof r.version).toBe('bigint');
      expect(typeof r.updated_at).toBe('bigint');
    }
  });

  it('returns aggregates as bigint too', async () => {
    const { n } = await db.kysely
      .selectFrom('settings')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(typeof n).toBe('bigint');
  });

  it('compares bigint parameters exactly beyond 2^53', async () => {
    await db.kysely.insertInto('settings').values(row('big-compare', '{}', 2n ** 60n + 1n)).execute();
    const hit = await db.kysely.selectFrom('settings').select('key').where('version', '=', 2n ** 60n + 1n).execute();
    const miss = await db.kysely.selectFrom('settings').select('key').where('version', '=', 2n ** 60n).execute();
    expect(hit.map((r) => r.key)).toEqual(['big-compare']);
    expect(miss).toEqual([]);
  });

  it('stores SQL-injection strings verbatim, as keys and as values', async () => {
    for (const [i, hostile] of HOSTILE_STRINGS.entries()) {
      await db.kysely.insertInto('settings').values(row(hostile, hostile, BigInt(i + 1))).execute();
      const back = await db.kysely.selectFrom('settings').selectAll().where('key', '=', hostile).executeTakeFirstOrThrow();
      expect(back.key).toBe(hostile);
      expect(back.value).toBe(hostile);
    }
    await expect(db.ping()).resolves.toBeUndefined();
    const count = await db.kysely.selectFrom('settings').select('key').where('key', 'in', HOSTILE_STRINGS).execute();
    expect(count).toHaveLength(HOSTILE_STRINGS.length);
  });

  it('stores unicode verbatim and keeps differently normalised strings distinct', async () => {
    for (const text of UNICODE_STRINGS) {
      await db.kysely.insertInto('settings').values(row(`uni:${text}`, text)).execute();
    }
    const rows = await db.kysely.selectFrom('settings').select(['key', 'value']).where('key', 'like', 'uni:%').execute();
    expect(rows).toHaveLength(UNICODE_STRINGS.length);
    for (const r of rows) expect(r.key).toBe(`uni:${r.value}`);
    expect(new Set(rows.map((r) => r.value))).toEqual(new Set(UNICODE_STRINGS));
  });

  it('runs parameterised sql template fragments', async () => {
    const hostile = HOSTILE_STRINGS[0]!;
    const result = await sql<{ echo: string }>`select ${hostile} as echo`.execute(db.kysely);
    expect(result.rows[0]?.echo).toBe(hostile);
  });
});
