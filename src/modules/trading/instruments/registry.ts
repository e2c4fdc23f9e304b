/**
 * The instrument and asset catalogue, read from the database (seeded by migration 0007_trading;
 * docs/trading.md says how to add one). Loaded at boot and validated by `defineInstrument`, so a
 * misconfigured row stops the server instead of mispricing orders.
 */
import type { Kysely } from 'kysely';
import { prepared } from '../../../lib/db/prepared.js';
import type { Executor } from '../ledger/accounts.js';
import type { Tables } from '../../../lib/db/schema.js';
import { defineInstrument, type Instrument, type InstrumentStatus } from './instrument.js';

export interface InstrumentRegistry {
  get(symbol: string): Instrument | undefined;
  list(): readonly Instrument[];
  /** Fractional digits of an asset's minor unit, or undefined for an unknown asset. */
  assetScale(asset: string): number | undefined;
  assets(): readonly string[];
}

const toScale = (value: bigint): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new TypeError(`asset scale ${String(value)} out of range`);
  return n;
};

/**
 * An instrument's current status from the database. The catalogue's other rules are fixed at
 * boot, but the status is an admin switch (`PUT /v1/admin/instruments/{symbol}/status`) and is
 * read in every order transaction, so a halt applies on every replica from the next request.
 * An unknown or unexpected value reads as halted (fail closed).
 */
export async function instrumentStatus(db: Executor, symbol: string): Promise<InstrumentStatus> {
  const [row] = (await selectStatus(db, symbol)).rows;
  return row?.status === 'trading' ? 'trading' : 'halted';
}

// Read once per order batch: built once (lib/db/prepared.ts).
const selectStatus = prepared((db, symbol: string) => db.selectFrom('trading_instruments').select('status').where('symbol', '=', symbol));

/** Every instrument's current status (for `GET /v1/instruments`). */
export async function instrumentStatuses(db: Executor): Promise<Map<string, InstrumentStatus>> {
  const rows = await db.selectFrom('trading_instruments').select(['symbol', 'status']).execute();
  return new Map(rows.map((row) => [row.symbol, row.status === 'trading' ? 'trading' : 'halted']));
}

export async function setInstrumentStatus(db: Executor, symbol: string, status: InstrumentStatus): Promise<boolean> {
  const result = await db.updateTable('trading_instruments').set({ status }).where('symbol', '=', symbol).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function loadInstrumentRegistry(db: Kysely<Tables>): Promise<InstrumentRegistry> {
  const assetRows = await db.selectFrom('trading_assets').selectAll().execute();
  const scales = new Map(assetRows.map((row) => [row.asset, toScale(row.scale)]));
  const rows = await db.selectFrom('trading_instruments').selectAll().orderBy('symbol').execute();
  const instruments = rows.map((row) => {
    const baseScale = scales.get(row.base);
    const quoteScale = scales.get(row.quote);
    if (baseScale === undefined || quoteScale === undefined) throw new TypeError(`instrument ${row.symbol}: unknown asset`);
    if (row.status !== 'trading' && row.status !== 'halted') throw new TypeError(`instrument ${row.symbol}: bad status`);
    return defineInstrument({
      symbol: row.symbol, base: row.base, quote: row.quote, baseScale, quoteScale,
      priceScale: toScale(row.price_scale), tickSize: row.tick_size, lotSize: row.lot_size,
      minQty: row.min_qty, maxQty: row.max_qty, minNotional: row.min_notional, priceBandBps: row.price_band_bps,
      maxOrderNotional: row.max_order_notional, maxPosition: row.max_position, status: row.status as InstrumentStatus,
    });
  });
  return createInstrumentRegistry(instruments, scales);
}

export function createInstrumentRegistry(instruments: readonly Instrument[], scales: ReadonlyMap<string, number>): InstrumentRegistry {
  const bySymbol = new Map(instruments.map((i) => [i.symbol, i]));
  const list = Object.freeze([...instruments]);
  const assets = Object.freeze([...scales.keys()].sort());
  return {
    get: (symbol) => bySymbol.get(symbol),
    list: () => list,
    assetScale: (asset) => scales.get(asset),
    assets: () => assets,
  };
}
