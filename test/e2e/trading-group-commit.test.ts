/**
 * Group commit in the symbol writer (orders/worker.ts): commands queued together share one
 * transaction, each sees the ones before it, a refusal leaves the others alone, and an
 * unexpected database error fails only its own command — the others are run again and
 * committed, and nothing of the failed command reaches the database or the book. On SQLite
 * and on PostgreSQL (where any failed statement aborts the transaction, so refusals must not
 * come from failed statements).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/lib/db/index.js';
import type { Instrument } from '../../src/modules/trading/index.js';
import type { Command, CommandResult, PlaceCommand } from '../../src/modules/trading/orders/commands.js';
import { openSymbolWorker, type SymbolWorker } from '../../src/modules/trading/orders/worker.js';
import { createAdminReferenceSource } from '../../src/modules/trading/reference/admin-source.js';
import { startTradingHarnessOn, type TradingHarness } from './trading-harness.js';

let h: TradingHarness;
let instrument: Instrument;
let transactions = 0;
let worker: SymbolWorker;
let stopHarness: (() => Promise<void>) | undefined;
const refused: string[] = [];

/** The platform's database, counting the transactions the worker opens. */
function countingDatabase(db: Database): Database {
  const kysely = new Proxy(db.kysely, {
    get(target, property) {
      if (property === 'transaction') {
        return () => {
          transactions++;
          return target.transaction();
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { ...db, kysely };
}

/** A real database error for one chosen order: a trigger refuses its row. */
async function poisonTrigger(db: Database): Promise<void> {
  if (db.dialect === 'sqlite') {
    await sql`create trigger poison_order before insert on trading_orders when new.client_order_id = 'poison' begin select raise(abort, 'poisoned order row'); end`.execute(db.kysely);
    return;
  }
  await sql`create function poison_order() returns trigger language plpgsql as $$ begin if new.client_order_id = 'poison' then raise exception 'poisoned order row'; end if; return new; end $$`.execute(db.kysely);
  await sql`create trigger poison_order before insert on trading_orders for each row execute function poison_order()`.execute(db.kysely);
}

async function start(backend: 'sqlite' | 'postgres'): Promise<void> {
  ({ h, stop: stopHarness } = await startTradingHarnessOn(backend));
  // ETH-USD is used by this file only, through its own worker (the platform's stays unused).
  await h.reference('ETH-USD', '3000');
  instrument = h.trading.instruments.get('ETH-USD')!;
  worker = await openSymbolWorker({
    db: countingDatabase(h.platform.db), instrument, clock: h.clock, fence: null,
    reference: createAdminReferenceSource({ db: h.platform.db.kysely, clock: h.clock, maxAgeMs: 10 ** 12 }),
    limitDefaults: { maxOrdersPerSecond: 1_000, selfTradePrevention: 'reject' },
    onReject: (_command, code) => refused.push(code),
  });
  await poisonTrigger(h.platform.db);
}

async function stop(): Promise<void> {
  await stopHarness?.();
  stopHarness = undefined;
}

const bid = (userId: string, clientOrderId: string): PlaceCommand => ({
  op: 'place', symbol: 'ETH-USD', userId, clientOrderId, side: 'buy', type: 'limit', quantity: '100000000', price: '290000',
  timeInForce: 'GTC', postOnly: false, ordersInWindow: 1, ctx: { actor: userId, ip: null, requestId: null },
});

/** Queues every command in the same tick, so they form one batch. */
const together = (commands: Command[]) => Promise.allSettled(commands.map((c) => worker.execute(c)));

describe.each(['sqlite', 'postgres'] as const)('group commit (%s)', (backend) => {
  beforeAll(() => start(backend));
  afterAll(stop);

  it('commits a batch in one transaction; a refusal inside it leaves the other commands alone', async () => {
    const trader = await h.user();
    await h.deposit(trader, 'USD', '10000');
    transactions = 0;
    const results = await together([bid(trader, 'a-1'), bid(trader, 'a-1'), bid(trader, 'a-2')]);
    expect(transactions).toBe(1);
    const values = results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason)) as CommandResult[];
    expect(values.map((v) => (v.ok ? 'ok' : v.code))).toEqual(['ok', 'ORDER_DUPLICATE', 'ok']);
    expect(refused).toContain('ORDER_DUPLICATE');
    const rows = await h.platform.db.kysely.selectFrom('trading_orders').select('client_order_id').where('user_id', '=', trader).orderBy('seq').execute();
    expect(rows.map((r) => r.client_order_id)).toEqual(['a-1', 'a-2']);
    // Two bids of 1 ETH at 2,900 USD are reserved, nothing for the refused one.
    expect((await h.request('GET', '/v1/balances', trader)).body).toEqual([{ asset: 'USD', total: '10000', available: '4200', reserved: '5800' }]);
  });

  it('writes a batch\'s fills, journal and positions at its end, yet a later order of the batch sees the position the earlier ones reached', async () => {
    const seller = await h.user();
    const buyer = await h.user();
    await h.deposit(seller, 'ETH', '5');
    await h.deposit(buyer, 'USD', '10000');
    const limited = await h.request('PUT', `/v1/admin/risk-limits/${buyer}`, h.adminId, { symbols: { 'ETH-USD': { maxPosition: '1.5' } } });
    expect(limited.status).toBe(200);
    // 2 ETH offered at 3,000, above the 2,900 bids the other tests leave resting.
    const ask: PlaceCommand = { ...bid(seller, 'p-ask'), side: 'sell', quantity: '200000000', price: '300000' };
    expect(await worker.execute(ask)).toMatchObject({ ok: true, order: { status: 'open' } });
    // Two buys of 1 ETH in one batch: the first fills (position 1), so the second would make it 2 > 1.5.
    const buy = (id: string): PlaceCommand => ({ ...bid(buyer, id), price: '300000' });
    transactions = 0;
    const [first, second] = await together([buy('p-1'), buy('p-2')]);
    expect(transactions).toBe(1);
    expect(first).toMatchObject({ status: 'fulfilled', value: { ok: true, order: { status: 'filled' } } });
    expect(second).toMatchObject({ status: 'fulfilled', value: { ok: false, code: 'RISK_POSITION_LIMIT' } });
    const db = h.platform.db.kysely;
    const positions = await db.selectFrom('trading_positions').select(['user_id', 'quantity']).where('symbol', '=', 'ETH-USD').where('user_id', 'in', [buyer, seller]).execute();
    expect(new Map(positions.map((p) => [p.user_id, p.quantity]))).toEqual(new Map([[buyer, 100_000_000n], [seller, -100_000_000n]]));
    const fills = await db.selectFrom('trading_fills').select(['id', 'quantity']).where('taker_user_id', '=', buyer).execute();
    expect(fills).toEqual([{ id: expect.any(String), quantity: 100_000_000n }]);
    const journal = await db.selectFrom('trading_ledger').select(['user_id', 'asset', 'amount']).where('ref_id', '=', fills[0]!.id).orderBy('user_id').orderBy('asset').execute();
    expect(journal).toHaveLength(4);
    expect(journal.reduce((sum, line) => sum + line.amount, 0n)).toBe(0n); // the USD legs cancel, the ETH legs cancel
    expect((await h.request('GET', '/v1/positions', buyer)).body).toEqual([{ symbol: 'ETH-USD', quantity: '1' }]);
  });

  it('fails only the command whose write the database refused; the others of its batch are committed', async () => {
    const trader = await h.user();
    await h.deposit(trader, 'USD', '10000');
    transactions = 0;
    const [first, poisoned, last] = await together([bid(trader, 'b-1'), bid(trader, 'poison'), bid(trader, 'b-2')]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { ok: true } });
    expect(poisoned?.status).toBe('rejected');
    expect(String((poisoned as PromiseRejectedResult).reason)).toContain('poisoned order row');
    expect(last).toMatchObject({ status: 'fulfilled', value: { ok: true } });
    // The batch rolled back as a whole, then the two good commands ran again in a second one.
    expect(transactions).toBe(2);
    const rows = await h.platform.db.kysely.selectFrom('trading_orders').select(['id', 'client_order_id']).where('user_id', '=', trader).orderBy('seq').execute();
    expect(rows.map((r) => r.client_order_id)).toEqual(['b-1', 'b-2']);
    expect([...worker.book().entries.values()].map((e) => e.order).filter((o) => o.userId === trader).map((o) => o.id)).toEqual(rows.map((r) => r.id));
    expect((await h.request('GET', '/v1/balances', trader)).body).toEqual([{ asset: 'USD', total: '10000', available: '4200', reserved: '5800' }]);
  });
});
