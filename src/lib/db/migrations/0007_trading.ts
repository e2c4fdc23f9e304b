/**
 * 0007_trading: the trading core (src/modules/trading, docs/trading.md).
 *
 * Money is integer minor units (bigint) everywhere: `trading_assets.scale` says how many
 * fractional digits an asset's integers carry. Balances carry CHECK constraints as a last line
 * of defence: no negative total, no negative reservation, never more reserved than held.
 * The seed instruments (BTC-USD, ETH-USD) are chosen so that tick × lot is a whole number of
 * quote minor units, which makes every fill's notional exact (no rounding anywhere).
 */
import { sql, type Kysely, type Migration } from 'kysely';

const ASSETS = [
  { asset: 'BTC', scale: 8n },
  { asset: 'ETH', scale: 8n },
  // Micro-dollars (like USDC): tick 0.01 × lot 0.0001 BTC = 0.000001 USD is representable.
  { asset: 'USD', scale: 6n },
];

const INSTRUMENTS = [
  {
    symbol: 'BTC-USD', base: 'BTC', quote: 'USD', price_scale: 2n, tick_size: 1n, lot_size: 10_000n,
    min_qty: 10_000n, max_qty: 10_000_000_000n, min_notional: 10_000_000n, price_band_bps: 500n,
    max_order_notional: 1_000_000_000_000n, max_position: 100_000_000_000n, status: 'trading',
  },
  {
    symbol: 'ETH-USD', base: 'ETH', quote: 'USD', price_scale: 2n, tick_size: 1n, lot_size: 100_000n,
    min_qty: 100_000n, max_qty: 100_000_000_000n, min_notional: 10_000_000n, price_band_bps: 500n,
    max_order_notional: 1_000_000_000_000n, max_position: 1_000_000_000_000n, status: 'trading',
  },
];

export const trading: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('trading_assets')
      .addColumn('asset', 'text', (c) => c.primaryKey())
      .addColumn('scale', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createTable('trading_instruments')
      .addColumn('symbol', 'text', (c) => c.primaryKey())
      .addColumn('base', 'text', (c) => c.notNull().references('trading_assets.asset'))
      .addColumn('quote', 'text', (c) => c.notNull().references('trading_assets.asset'))
      .addColumn('price_scale', 'bigint', (c) => c.notNull())
      .addColumn('tick_size', 'bigint', (c) => c.notNull())
      .addColumn('lot_size', 'bigint', (c) => c.notNull())
      .addColumn('min_qty', 'bigint', (c) => c.notNull())
      .addColumn('max_qty', 'bigint', (c) => c.notNull())
      .addColumn('min_notional', 'bigint', (c) => c.notNull())
      .addColumn('price_band_bps', 'bigint', (c) => c.notNull())
      .addColumn('max_order_notional', 'bigint', (c) => c.notNull())
      .addColumn('max_position', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .execute();

    await db.schema.createTable('trading_balances')
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('asset', 'text', (c) => c.notNull().references('trading_assets.asset'))
      .addColumn('total', 'bigint', (c) => c.notNull().check(sql`total >= 0`))
      .addColumn('reserved', 'bigint', (c) => c.notNull().check(sql`reserved >= 0`))
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('trading_balances_pk', ['user_id', 'asset'])
      .addCheckConstraint('trading_balances_reserved_le_total', sql`reserved <= total`)
      .execute();
    await db.schema.createTable('trading_ledger')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('asset', 'text', (c) => c.notNull())
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('ref_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('trading_ledger_account').on('trading_ledger').columns(['user_id', 'asset']).execute();
    await db.schema.createTable('trading_positions')
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('symbol', 'text', (c) => c.notNull())
      .addColumn('quantity', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('trading_positions_pk', ['user_id', 'symbol'])
      .execute();

    await db.schema.createTable('trading_orders')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('symbol', 'text', (c) => c.notNull())
      .addColumn('client_order_id', 'text', (c) => c.notNull())
      .addColumn('side', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('time_in_force', 'text', (c) => c.notNull())
      .addColumn('post_only', 'bigint', (c) => c.notNull())
      .addColumn('price', 'bigint')
      .addColumn('quantity', 'bigint', (c) => c.notNull())
      .addColumn('filled_quantity', 'bigint', (c) => c.notNull())
      .addColumn('reserved', 'bigint', (c) => c.notNull().check(sql`reserved >= 0`))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('cancel_reason', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('trading_orders_client_id', ['user_id', 'client_order_id'])
      .addUniqueConstraint('trading_orders_symbol_seq', ['symbol', 'seq'])
      .execute();
    await db.schema.createIndex('trading_orders_book').on('trading_orders').columns(['symbol', 'status', 'seq']).execute();
    await db.schema.createIndex('trading_orders_user').on('trading_orders').columns(['user_id', 'status', 'created_at']).execute();
    await db.schema.createTable('trading_fills')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('symbol', 'text', (c) => c.notNull())
      .addColumn('taker_order_id', 'text', (c) => c.notNull())
      .addColumn('maker_order_id', 'text', (c) => c.notNull())
      .addColumn('taker_user_id', 'text', (c) => c.notNull())
      .addColumn('maker_user_id', 'text', (c) => c.notNull())
      .addColumn('taker_side', 'text', (c) => c.notNull())
      .addColumn('price', 'bigint', (c) => c.notNull())
      .addColumn('quantity', 'bigint', (c) => c.notNull())
      .addColumn('quote_amount', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('trading_fills_taker').on('trading_fills').column('taker_order_id').execute();
    await db.schema.createIndex('trading_fills_maker').on('trading_fills').column('maker_order_id').execute();

    await db.schema.createTable('trading_risk_limits')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('limits', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createTable('trading_kill_switches')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('engaged', 'bigint', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('trading_kill_switches_pk', ['scope', 'target'])
      .execute();
    await db.schema.createTable('trading_reference_prices')
      .addColumn('symbol', 'text', (c) => c.primaryKey())
      .addColumn('price', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createTable('trading_book_leases')
      .addColumn('symbol', 'text', (c) => c.primaryKey())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('fence', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema.createTable('withdrawal_addresses')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('asset', 'text', (c) => c.notNull())
      .addColumn('address_ciphertext', 'text', (c) => c.notNull())
      .addColumn('address_index', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('activates_at', 'bigint', (c) => c.notNull())
      .addColumn('removed_at', 'bigint')
      .execute();
    await db.schema.createIndex('withdrawal_addresses_lookup').on('withdrawal_addresses').columns(['user_id', 'asset', 'address_index']).execute();
    await db.schema.createTable('withdrawals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('asset', 'text', (c) => c.notNull())
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('address_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('screening', 'text', (c) => c.notNull())
      .addColumn('screening_reasons', 'text', (c) => c.notNull())
      .addColumn('hold_reason', 'text')
      .addColumn('reviewed_by', 'text')
      .addColumn('tx_ref', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('withdrawals_user').on('withdrawals').columns(['user_id', 'created_at']).execute();

    for (const row of ASSETS) await db.insertInto('trading_assets' as never).values(row as never).execute();
    for (const row of INSTRUMENTS) await db.insertInto('trading_instruments' as never).values(row as never).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of [
      'withdrawals', 'withdrawal_addresses', 'trading_book_leases', 'trading_reference_prices', 'trading_kill_switches',
      'trading_risk_limits', 'trading_fills', 'trading_orders', 'trading_positions', 'trading_ledger', 'trading_balances',
      'trading_instruments', 'trading_assets',
    ]) await db.schema.dropTable(table).execute();
  },
};
