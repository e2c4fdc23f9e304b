/**
 * RewrapTarget over a Kysely database for one declared encrypted table. Table and column names
 * come from the validated declaration (identifiers only), never from input; values are bound
 * parameters. Batches run in one transaction; each UPDATE is a compare-and-swap on the values
 * that were read, so a concurrent application write is never overwritten.
 */
import type { Kysely } from 'kysely';

import type { EncryptedTable } from '../fields/encrypted-columns.js';
import type { RewrapTarget } from './rewrap-fields.js';

/** Tables known only at run time, from an EncryptedTable declaration. */
type DynamicSchema = Record<string, Record<string, unknown>>;

export function createKyselyRewrapTarget<DB>(database: Kysely<DB>, table: EncryptedTable<never>): RewrapTarget {
  const db = database as unknown as Kysely<DynamicSchema>;
  const columns = [table.rowId];
  for (const [column, spec] of Object.entries(table.columns)) {
    columns.push(column);
    if (spec.blindIndex) columns.push(spec.blindIndex.column);
  }

  return {
    table,
    async count() {
      const row = await db
        .selectFrom(table.table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    async scan(after, limit) {
      let query = db.selectFrom(table.table).select(columns).orderBy(table.rowId).limit(limit);
      if (after !== undefined) query = query.where(table.rowId, '>', after);
      return query.execute();
    },
    async apply(updates) {
      return db.transaction().execute(async (trx) => {
        let applied = 0;
        for (const update of updates) {
          let statement = trx.updateTable(table.table).set(update.next).where(table.rowId, '=', update.rowId);
          for (const [column, value] of Object.entries(update.previous)) {
            statement = value === null ? statement.where(column, 'is', null) : statement.where(column, '=', value);
          }
          const result = await statement.executeTakeFirst();
          applied += Number(result.numUpdatedRows);
        }
        return applied;
      });
    },
  };
}
