/**
 * Versioned key/value settings (kill switch, IP rules, …) with optimistic concurrency.
 *
 * Atomicity: each write is ONE conditional statement, so it is atomic on both dialects without
 * an explicit transaction —
 *   create:  INSERT … ON CONFLICT (key) DO UPDATE … WHERE value IS NULL   (absent or deleted)
 *   update:  UPDATE … SET version = ? + 1 WHERE key = ? AND version = ? AND value IS NOT NULL
 *   delete:  UPDATE … SET value = NULL, version = ? + 1 WHERE key = ? AND version = ? …
 * Of several writers holding the same expected version exactly one affects a row; the others
 * get `{ ok: false, currentVersion }` and must re-read. (PostgreSQL re-checks the WHERE clause
 * after waiting on the row lock under READ COMMITTED; SQLite has a single writer.)
 *
 * Invariant: a key's version never repeats. Delete leaves a tombstone (value NULL) that keeps
 * counting, so a writer holding a version from before a delete + re-create cannot win (no ABA).
 */
import { sql } from 'kysely';

import type { Clock } from '../clock/index.js';
import { fromDbTime, toDbTime } from './codec.js';
import type { Database } from './database.js';

export interface Setting {
  key: string;
  /** Parsed JSON value. Callers validate its shape. */
  value: unknown;
  version: bigint;
  /** Unix milliseconds. */
  updatedAt: number;
}

export type CasResult = { ok: true; version: bigint } | { ok: false; currentVersion: bigint | null };
export type DeleteResult = { ok: true } | { ok: false; currentVersion: bigint | null };

export interface SettingsRepository {
  get(key: string): Promise<Setting | null>;
  /** Settings whose key starts with `prefix` (exact, case-sensitive), sorted by key code units. */
  list(prefix?: string): Promise<Setting[]>;
  /**
   * Compare-and-swap write. `expectedVersion = null` creates the key and fails if it exists;
   * otherwise the stored version must equal `expectedVersion`. The new version is returned.
   * `value` must be JSON-serialisable (bigint is not: store money as decimal strings).
   */
  put(key: string, value: unknown, expectedVersion: bigint | null): Promise<CasResult>;
  /** Deletes only if the stored version equals `expectedVersion`. */
  delete(key: string, expectedVersion: bigint): Promise<DeleteResult>;
}

const MAX_KEY_LENGTH = 200;

export function createSettingsRepository(db: Database, clock: Clock): SettingsRepository {
  const { kysely } = db;

  async function currentVersion(key: string): Promise<bigint | null> {
    const row = await kysely.selectFrom('settings').select(['version', 'value']).where('key', '=', key).executeTakeFirst();
    return row === undefined || row.value === null ? null : row.version;
  }

  return {
    async get(key) {
      assertKey(key);
      const row = await kysely
        .selectFrom('settings')
        .selectAll()
        .where('key', '=', key)
        .where('value', 'is not', null)
        .executeTakeFirst();
      return row === undefined ? null : toSetting(row);
    },

    async list(prefix = '') {
      if (typeof prefix !== 'string') throw new TypeError('settings prefix must be a string');
      let query = kysely.selectFrom('settings').selectAll().where('value', 'is not', null);
      if (prefix.length > 0) {
        // substr counts characters (code points) on both dialects; LIKE would need escaping and
        // is case-insensitive on SQLite.
        const chars = Array.from(prefix).length;
        query = query.where(sql<string>`substr(${sql.ref('key')}, 1, ${chars})`, '=', prefix);
      }
      const rows = await query.execute();
      return rows.map(toSetting).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },

    async put(key, value, expectedVersion) {
      assertKey(key);
      assertExpected(expectedVersion, true);
      const json = encodeValue(value);
      const now = toDbTime(clock.now());
      if (expectedVersion === null) {
        // Creates the row, or revives a tombstone with the next version; a live row is left alone.
        const row = await kysely
          .insertInto('settings')
          .values({ key, value: json, version: 1n, updated_at: now })
          .onConflict((oc) =>
            oc
              .column('key')
              .doUpdateSet((eb) => ({ value: json, version: eb(eb.ref('settings.version'), '+', 1n), updated_at: now }))
              .where('settings.value', 'is', null),
          )
          .returning('version')
          .executeTakeFirst();
        if (row !== undefined) return { ok: true, version: row.version };
        return { ok: false, currentVersion: await currentVersion(key) };
      }
      const result = await kysely
        .updateTable('settings')
        .set({ value: json, version: expectedVersion + 1n, updated_at: now })
        .where('key', '=', key)
        .where('version', '=', expectedVersion)
        .where('value', 'is not', null)
        .executeTakeFirst();
      if (result.numUpdatedRows === 1n) return { ok: true, version: expectedVersion + 1n };
      return { ok: false, currentVersion: await currentVersion(key) };
    },

    async delete(key, expectedVersion) {
      assertKey(key);
      assertExpected(expectedVersion, false);
      const result = await kysely
        .updateTable('settings')
        .set({ value: null, version: expectedVersion + 1n, updated_at: toDbTime(clock.now()) })
        .where('key', '=', key)
        .where('version', '=', expectedVersion)
        .where('value', 'is not', null)
        .executeTakeFirst();
      if (result.numUpdatedRows === 1n) return { ok: true };
      return { ok: false, currentVersion: await currentVersion(key) };
    },
  };
}

function toSetting(row: { key: string; value: string | null; version: bigint; updated_at: bigint }): Setting {
  return { key: row.key, value: JSON.parse(row.value ?? 'null') as unknown, version: row.version, updatedAt: fromDbTime(row.updated_at) };
}

function encodeValue(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('setting value must be JSON-serialisable');
  return json;
}

function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new TypeError(`setting key must be a string of 1..${MAX_KEY_LENGTH} characters`);
  }
}

function assertExpected(expected: unknown, allowNull: boolean): void {
  if (expected === null && allowNull) return;
  if (typeof expected !== 'bigint' || expected < 1n) {
    throw new TypeError(`expectedVersion must be a positive bigint${allowNull ? ' or null' : ''}`);
  }
}
