/**
 * 0008_marketdata: market-data integrity (src/modules/marketdata, docs/marketdata.md).
 *
 * `marketdata_sources`: registered price sources (Ed25519 SPKI PEM, allowed symbols as a JSON
 * array); revoked sources stay as rows so their id can never be registered again.
 * `marketdata_symbols`: the feed policy of each symbol (canonical JSON), versioned.
 * `marketdata_halts`: one row per halted symbol; the primary key makes "halt" an insert that
 * exactly one replica wins, and "resume" a delete by (symbol, halt_id) that exactly one wins.
 * Latest observations and sequences are ephemeral shared state (StateStore), not rows.
 */
import type { Kysely, Migration } from 'kysely';

export const marketData: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('marketdata_sources')
      .addColumn('source_id', 'text', (col) => col.primaryKey())
      .addColumn('public_key', 'text', (col) => col.notNull())
      .addColumn('symbols', 'text', (col) => col.notNull())
      .addColumn('status', 'text', (col) => col.notNull())
      .addColumn('created_by', 'text', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('revoked_by', 'text')
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema
      .createTable('marketdata_symbols')
      .addColumn('symbol', 'text', (col) => col.primaryKey())
      .addColumn('policy', 'text', (col) => col.notNull())
      .addColumn('version', 'bigint', (col) => col.notNull())
      .addColumn('updated_by', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'bigint', (col) => col.notNull())
      .execute();
    await db.schema
      .createTable('marketdata_halts')
      .addColumn('symbol', 'text', (col) => col.primaryKey())
      .addColumn('halt_id', 'text', (col) => col.notNull())
      .addColumn('reason', 'text', (col) => col.notNull())
      .addColumn('details', 'text', (col) => col.notNull())
      .addColumn('created_by', 'text', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('marketdata_halts').execute();
    await db.schema.dropTable('marketdata_symbols').execute();
    await db.schema.dropTable('marketdata_sources').execute();
  },
};
