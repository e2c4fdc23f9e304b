/**
 * 0014_trading_ledger_unindexed (docs/trading.md, docs/BENCHMARKS.md): the trading journal
 * keeps only its primary key.
 *
 * `trading_ledger_account` indexed the journal by (user, asset). Nothing reads the journal by
 * account on a request path — the balances table is the account state, and a reconciliation
 * (Σ amount per account = balance total) reads the whole journal anyway — yet every fill wrote
 * four lines scattered across that index, one page each. Under the order benchmark that index
 * was about a third of the bytes each COMMIT wrote (37 → 25 KB per order without it) and
 * ≈ 15 µs of SQLite time per order. The primary key is time-ordered, so a period's lines are
 * still an index range; one account's lines (an investigation) are a scan of the journal.
 */
import type { Kysely, Migration } from 'kysely';

export const tradingLedgerUnindexed: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('trading_ledger_account').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.createIndex('trading_ledger_account').on('trading_ledger').columns(['user_id', 'asset']).execute();
  },
};
