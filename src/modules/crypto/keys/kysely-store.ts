/**
 * KeyRingStore over the project database (tables from migration 0002_key_ring), for SQLite and
 * PostgreSQL. Atomicity comes from single conditional statements (usage reservation, wrapped-DEK
 * compare-and-swap) or from transactions whose first statement is a conditional UPDATE of the
 * key row (rotation, retirement): on PostgreSQL that row lock serialises competing replicas and
 * the loser's WHERE re-check fails; SQLite has a single writer.
 */
import type { Kysely, Selectable } from 'kysely';

import type { CryptoKeyVersionsTable, Tables } from '../../../lib/db/schema.js';
import { fromBase64Url, toBase64Url } from '../primitives/bytes.js';
import type { KeyRecord, KeyRingStore, KeyState, KeyVersionRecord, NewKeyVersion, WrappedDek } from './types.js';

const num = (value: bigint | number): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`stored integer ${String(value)} out of range`);
  return n;
};

function toVersion(row: Selectable<CryptoKeyVersionsTable>): KeyVersionRecord {
  return {
    keyId: row.key_id,
    version: num(row.version),
    state: row.state as KeyState,
    wrapped: {
      alg: row.wrap_alg as WrappedDek['alg'],
      provider: row.kek_provider as WrappedDek['provider'],
      kekLabel: row.kek_label,
      kekVersion: num(row.kek_version),
      blob: fromBase64Url(row.wrapped_dek),
    },
    createdAt: num(row.created_at),
    demotedAt: row.demoted_at === null ? undefined : num(row.demoted_at),
    usageCount: num(row.usage_count),
  };
}

function versionRow(keyId: string, version: number, next: NewKeyVersion): CryptoKeyVersionsTable {
  return {
    key_id: keyId,
    version: BigInt(version),
    state: 'active',
    wrap_alg: next.wrapped.alg,
    kek_provider: next.wrapped.provider,
    kek_label: next.wrapped.kekLabel,
    kek_version: BigInt(next.wrapped.kekVersion),
    wrapped_dek: toBase64Url(next.wrapped.blob),
    created_at: BigInt(next.createdAt),
    demoted_at: null,
    usage_count: 0n,
  };
}

export function createKyselyKeyRingStore(db: Kysely<Tables>): KeyRingStore {
  async function load(keyIds?: readonly string[]): Promise<KeyRecord[]> {
    let keysQuery = db.selectFrom('crypto_keys').selectAll().orderBy('key_id');
    let versionsQuery = db.selectFrom('crypto_key_versions').selectAll().orderBy('key_id').orderBy('version');
    if (keyIds) {
      keysQuery = keysQuery.where('key_id', 'in', keyIds);
      versionsQuery = versionsQuery.where('key_id', 'in', keyIds);
    }
    const [keys, versions] = await Promise.all([keysQuery.execute(), versionsQuery.execute()]);
    return keys.map((key) => ({
      keyId: key.key_id,
      primaryVersion: num(key.primary_version),
      minDecryptionVersion: num(key.min_decryption_version),
      createdAt: num(key.created_at),
      destroyedAt: key.destroyed_at === null ? undefined : num(key.destroyed_at),
      versions: versions.filter((v) => v.key_id === key.key_id).map(toVersion),
    }));
  }

  return {
    async getKey(keyId) {
      return (await load([keyId]))[0];
    },
    listKeys: () => load(),
    async createKey(keyId, first) {
      return db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('crypto_keys')
          .values({ key_id: keyId, primary_version: 1n, min_decryption_version: 1n, created_at: BigInt(first.createdAt), destroyed_at: null })
          .onConflict((oc) => oc.column('key_id').doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) return false;
        await trx.insertInto('crypto_key_versions').values(versionRow(keyId, 1, first)).execute();
        return true;
      });
    },
    async addPrimaryVersion(keyId, expectedPrimary, next) {
      return db.transaction().execute(async (trx) => {
        const moved = await trx
          .updateTable('crypto_keys')
          .set({ primary_version: BigInt(expectedPrimary + 1) })
          .where('key_id', '=', keyId)
          .where('primary_version', '=', BigInt(expectedPrimary))
          .where('destroyed_at', 'is', null)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) return false;
        await trx
          .updateTable('crypto_key_versions')
          .set({ state: 'decrypt-only', demoted_at: BigInt(next.createdAt) })
          .where('key_id', '=', keyId)
          .where('version', '=', BigInt(expectedPrimary))
          .execute();
        await trx.insertInto('crypto_key_versions').values(versionRow(keyId, expectedPrimary + 1, next)).execute();
        return true;
      });
    },
    async reserveUsage(keyId, version, count) {
      const row = await db
        .updateTable('crypto_key_versions')
        .set((eb) => ({ usage_count: eb('usage_count', '+', BigInt(count)) }))
        .where('key_id', '=', keyId)
        .where('version', '=', BigInt(version))
        .where('state', '=', 'active')
        .returning('usage_count')
        .executeTakeFirst();
      return row === undefined ? undefined : num(row.usage_count);
    },
    async setMinDecryptionVersion(keyId, minVersion) {
      await db.transaction().execute(async (trx) => {
        const key = await trx
          .updateTable('crypto_keys')
          .set({ min_decryption_version: BigInt(minVersion) })
          .where('key_id', '=', keyId)
          .where('destroyed_at', 'is', null)
          .returning('primary_version')
          .executeTakeFirst();
        if (!key) return;
        const primary = num(key.primary_version);
        if (minVersion < 1 || minVersion > primary) throw new RangeError('minimum decryption version out of range');
        const versions = trx.updateTable('crypto_key_versions').where('key_id', '=', keyId);
        await versions.set({ state: 'retired' }).where('version', '<', BigInt(minVersion)).execute();
        await versions
          .set({ state: 'decrypt-only' })
          .where('version', '>=', BigInt(minVersion))
          .where('version', '<>', BigInt(primary))
          .execute();
      });
    },
    async replaceWrappedDek(keyId, version, expected, next) {
      const result = await db
        .updateTable('crypto_key_versions')
        .set({
          wrap_alg: next.alg,
          kek_provider: next.provider,
          kek_label: next.kekLabel,
          kek_version: BigInt(next.kekVersion),
          wrapped_dek: toBase64Url(next.blob),
        })
        .where('key_id', '=', keyId)
        .where('version', '=', BigInt(version))
        .where('kek_provider', '=', expected.provider)
        .where('kek_label', '=', expected.kekLabel)
        .where('wrapped_dek', '=', toBase64Url(expected.blob))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async destroyKey(keyId, now) {
      return db.transaction().execute(async (trx) => {
        const marked = await trx
          .updateTable('crypto_keys')
          .set({ destroyed_at: BigInt(now) })
          .where('key_id', '=', keyId)
          .where('destroyed_at', 'is', null)
          .executeTakeFirst();
        if (Number(marked.numUpdatedRows) !== 1) return false;
        await trx.deleteFrom('crypto_key_versions').where('key_id', '=', keyId).execute();
        return true;
      });
    },
  };
}
