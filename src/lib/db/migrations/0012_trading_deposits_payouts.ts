/**
 * 0012_trading_deposits_payouts (src/modules/trading, docs/trading.md):
 *
 * - `trading_deposits`: one row per admin deposit, keyed by the caller's `depositId` (the
 *   idempotency key). The primary key is what makes a retried or concurrent duplicate credit
 *   once: the row is inserted in the same transaction as the balance change, and a second
 *   insert of the key finds the first and rolls its own credit back. The balance after the
 *   credit is kept so a repeat answers exactly what the first request answered.
 * - `withdrawals.status_reason`: why a withdrawal was rejected or its payout failed (the
 *   reviewer's or the payout's words), next to `tx_ref` for sent ones.
 */
import type { Kysely, Migration } from 'kysely';

export const tradingDepositsPayouts: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('trading_deposits')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('asset', 'text', (c) => c.notNull())
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('balance_total', 'bigint', (c) => c.notNull())
      .addColumn('balance_reserved', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('withdrawals').addColumn('status_reason', 'text').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('withdrawals').dropColumn('status_reason').execute();
    await db.schema.dropTable('trading_deposits').execute();
  },
};
