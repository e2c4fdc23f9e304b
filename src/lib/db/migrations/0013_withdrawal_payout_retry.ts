/**
 * 0013_withdrawal_payout_retry (src/modules/trading/withdrawals, docs/trading.md): automatic,
 * bounded retries of a `pending` withdrawal's payout.
 *
 * - `withdrawals.payout_attempts`: payout attempts claimed so far. It is the compare-and-swap
 *   token of a claim (`… SET payout_attempts = n + 1 WHERE payout_attempts = n`), so of several
 *   replicas exactly one sends attempt n + 1.
 * - `withdrawals.payout_next_at`: when the next automatic attempt is due (unix ms); null = none
 *   scheduled (held, settled, answered `submitted`, or given up). Rows pending before this
 *   migration keep null: they are not re-sent on their own.
 * - `withdrawals.payout_flagged_at`: when the last attempt failed and the withdrawal was left
 *   `pending` for manual handling.
 * - `withdrawals_payout_due`: the retry loop's scan of due attempts.
 */
import type { Kysely, Migration } from 'kysely';

export const withdrawalPayoutRetry: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('withdrawals').addColumn('payout_attempts', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('withdrawals').addColumn('payout_next_at', 'bigint').execute();
    await db.schema.alterTable('withdrawals').addColumn('payout_flagged_at', 'bigint').execute();
    await db.schema.createIndex('withdrawals_payout_due').on('withdrawals').columns(['payout_next_at']).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('withdrawals_payout_due').execute();
    await db.schema.alterTable('withdrawals').dropColumn('payout_flagged_at').execute();
    await db.schema.alterTable('withdrawals').dropColumn('payout_next_at').execute();
    await db.schema.alterTable('withdrawals').dropColumn('payout_attempts').execute();
  },
};
