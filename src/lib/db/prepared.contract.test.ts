/** Prepared queries: same results as the builder, values always bound, on SQLite and PostgreSQL. */
import { beforeEach, describe, expect, it } from 'vitest';

import { databaseBackends } from '../../../test/support/backends.js';
import { useMigratedDatabase } from '../../../test/support/migrated-database.js';
import type { Database } from './database.js';
import { prepared, preparedInsert } from './prepared.js';

const backends = await databaseBackends();

interface BalanceRow { user_id: string; asset: string; total: bigint; reserved: bigint; updated_at: bigint }

// Module-level, as the hot paths declare them: one prepared query serves every database.
const balanceOf = prepared((db, userId: string, asset: string) =>
  db.selectFrom('trading_balances').select(['total', 'reserved']).where('user_id', '=', userId).where('asset', '=', asset));
const credit = prepared((db, userId: string, asset: string, amount: bigint) =>
  db.updateTable('trading_balances').set((eb) => ({ total: eb('total', '+', amount) }))
    .where('user_id', '=', userId).where('asset', '=', asset).where((eb) => eb(eb('total', '+', amount), '>=', 0n)));
const insertBalances = preparedInsert<'trading_balances', BalanceRow>('trading_balances', ['user_id', 'asset', 'total', 'reserved', 'updated_at'],
  (insert) => insert.onConflict((oc) => oc.columns(['user_id', 'asset']).doNothing()));

const row = (userId: string, asset: string, total: bigint): BalanceRow => ({ user_id: userId, asset, total, reserved: 0n, updated_at: 1n });

describe.each(backends)('prepared queries on $name', (backend) => {
  const database = useMigratedDatabase(backend);
  let db: Database;

  beforeEach(async () => {
    db = database();
    await db.kysely.deleteFrom('trading_balances').execute();
  });

  it('binds each call\'s own values into the query compiled on the first call', async () => {
    await insertBalances(db.kysely, [row('u1', 'USD', 100n), row('u2', 'USD', 7n), row('u1', 'BTC', 3n)]);
    expect((await balanceOf(db.kysely, 'u1', 'USD')).rows).toEqual([{ total: 100n, reserved: 0n }]);
    expect((await balanceOf(db.kysely, 'u2', 'USD')).rows).toEqual([{ total: 7n, reserved: 0n }]);
    expect((await balanceOf(db.kysely, 'u1', 'BTC')).rows).toEqual([{ total: 3n, reserved: 0n }]);
    expect((await balanceOf(db.kysely, 'u3', 'USD')).rows).toEqual([]);
  });

  it('inserts several rows in one call and counts only the rows it wrote (a conflict skipped)', async () => {
    // SQLite runs the one-row statement per row, PostgreSQL one multi-row statement: same answer.
    expect((await insertBalances(db.kysely, [row('u1', 'USD', 1n), row('u2', 'USD', 2n)])).numAffectedRows).toBe(2n);
    const again = await insertBalances(db.kysely, [row('u3', 'USD', 3n), row('u1', 'USD', 99n), row('u4', 'BTC', 4n)]);
    expect(again.numAffectedRows).toBe(2n);
    expect(await db.kysely.selectFrom('trading_balances').select(['user_id', 'asset', 'total']).orderBy('user_id').execute()).toEqual([
      { user_id: 'u1', asset: 'USD', total: 1n }, { user_id: 'u2', asset: 'USD', total: 2n },
      { user_id: 'u3', asset: 'USD', total: 3n }, { user_id: 'u4', asset: 'BTC', total: 4n },
    ]);
  });

  it('agrees with the same query built by Kysely for every argument, constants included', async () => {
    await insertBalances(db.kysely, [row('u1', 'USD', 10n)]);
    for (const amount of [5n, -15n, -10n, 1n]) {
      const expected = await db.kysely.transaction().execute(async (trx) => {
        const r = await trx.updateTable('trading_balances').set((eb) => ({ total: eb('total', '+', amount) }))
          .where('user_id', '=', 'u1').where('asset', '=', 'USD').where((eb) => eb(eb('total', '+', amount), '>=', 0n)).executeTakeFirst();
        throw Object.assign(new Error('rollback'), { changed: r.numUpdatedRows });
      }).catch((e: { changed: bigint }) => e.changed);
      const result = await credit(db.kysely, 'u1', 'USD', amount);
      expect(result.numAffectedRows).toBe(expected);
    }
    // 10 + 5, -15 → 0, -10 refused by the constant guard (would go below 0), + 1
    expect((await balanceOf(db.kysely, 'u1', 'USD')).rows).toEqual([{ total: 1n, reserved: 0n }]);
  });

  it('runs inside a transaction and rolls back with it', async () => {
    await insertBalances(db.kysely, [row('u1', 'USD', 10n)]);
    await expect(db.kysely.transaction().execute(async (trx) => {
      await credit(trx, 'u1', 'USD', 90n);
      expect((await balanceOf(trx, 'u1', 'USD')).rows).toEqual([{ total: 100n, reserved: 0n }]);
      throw new Error('abort');
    })).rejects.toThrow('abort');
    expect((await balanceOf(db.kysely, 'u1', 'USD')).rows).toEqual([{ total: 10n, reserved: 0n }]);
  });

  it('treats hostile strings as values, never as SQL', async () => {
    const hostile = "u1' OR '1'='1";
    const dropper = "x'; DROP TABLE trading_balances; --";
    await insertBalances(db.kysely, [row('u1', 'USD', 10n), row(dropper, 'USD', 1n)]);
    expect((await balanceOf(db.kysely, hostile, 'USD')).rows).toEqual([]);
    expect((await balanceOf(db.kysely, dropper, 'USD')).rows).toEqual([{ total: 1n, reserved: 0n }]);
    expect(await db.kysely.selectFrom('trading_balances').select('user_id').orderBy('user_id').execute()).toHaveLength(2);
  });

  it('refuses a builder that ignores an argument or never receives it', async () => {
    const ignoresAsset = prepared((db, userId: string, _asset: string) => db.selectFrom('trading_balances').select('total').where('user_id', '=', userId));
    await expect(ignoresAsset(db.kysely, 'u1', 'USD')).rejects.toThrow(/does not bind each argument/);
    // A default parameter shortens Function.length: the builder would bake 'USD' in and ignore 'BTC'.
    const defaulted = prepared((db, userId: string, asset: string = 'USD') =>
      db.selectFrom('trading_balances').select('total').where('user_id', '=', userId).where('asset', '=', asset));
    await expect(defaulted(db.kysely, 'u1', 'BTC')).rejects.toThrow(/takes 1 values, got 2/);
  });

  it('inserts any number of rows, keeps constant clauses (ON CONFLICT) and reports the rows written', async () => {
    expect((await insertBalances(db.kysely, [row('a', 'USD', 1n)])).numAffectedRows).toBe(1n);
    const second = await insertBalances(db.kysely, [row('a', 'USD', 99n), row('b', 'USD', 2n), row('c', 'USD', 3n)]);
    expect(second.numAffectedRows).toBe(2n); // the conflicting row is skipped, not overwritten
    const all = await db.kysely.selectFrom('trading_balances').select(['user_id', 'total']).orderBy('user_id').execute();
    expect(all).toEqual([{ user_id: 'a', total: 1n }, { user_id: 'b', total: 2n }, { user_id: 'c', total: 3n }]);
  });
});
