/**
 * Two replicas sharing PostgreSQL and Redis (SPEC §1): one book owner per symbol, orders taken
 * by either replica and handed to the owner; a kill switch engaged on one replica stops orders
 * on the other at the next request, and so does an instrument halt; a deposit retried on both at
 * once credits once; and fencing: a paused owner that lost its lease cannot
 * write anything afterwards. (The owner killed with SIGKILL under load: trading-crash.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock/index.js';
import { createDatabase, type Database } from '../../src/lib/db/index.js';
import type { Instrument } from '../../src/modules/trading/index.js';
import { openSymbolWorker } from '../../src/modules/trading/orders/worker.js';
import { leaseFence, LeaseLostError, readLease, tryAcquire } from '../../src/modules/trading/ownership/leases.js';
import { createAdminReferenceSource } from '../../src/modules/trading/reference/admin-source.js';
import { createThrowawayPostgres, testDatabaseUrl, testRedisUrl, type ThrowawayDatabase } from '../support/backends.js';
import { startTradingHarness, type TradingHarness } from './trading-harness.js';

let database: ThrowawayDatabase;
let a: TradingHarness;
let b: TradingHarness;
const clock = createManualClock(Date.UTC(2026, 6, 1, 9));

beforeAll(async () => {
  const adminUrl = await testDatabaseUrl();
  const redisUrl = await testRedisUrl();
  if (!adminUrl || !redisUrl) throw new Error('replica tests need PostgreSQL and Redis (Q2_TEST_DATABASE_URL, Q2_TEST_REDIS_URL)');
  database = await createThrowawayPostgres(adminUrl);
  a = await startTradingHarness({ Q2_DATABASE_URL: database.url, Q2_REDIS_URL: redisUrl }, clock);
  b = await startTradingHarness({
    Q2_DATABASE_URL: database.url, Q2_REDIS_URL: redisUrl, Q2_MASTER_KEY_FILE: `${a.platform.config.dataDir}/master.key`,
  }, clock);
  await a.reference('BTC-USD', '60000');
});
afterAll(async () => {
  await b?.platform.stop();
  await a?.platform.stop();
  await database?.drop();
});

describe('two replicas, one book owner per symbol', () => {
  it('matches an order taken by one replica against an order resting through the other', async () => {
    const seller = await a.user();
    const buyer = await a.user();
    b.user = a.user;
    await a.deposit(seller, 'BTC', '1');
    await a.deposit(buyer, 'USD', '100000');
    const ask = await a.order(seller, { symbol: 'BTC-USD', side: 'sell', quantity: '0.5', price: '60000' });
    expect(ask.status).toBe(201);
    const bid = await b.order(buyer, { symbol: 'BTC-USD', side: 'buy', quantity: '0.2', price: '60000' });
    expect(bid.status, JSON.stringify(bid.body)).toBe(201);
    expect(bid.body).toMatchObject({ status: 'filled', fills: [{ price: '60000', quantity: '0.2' }] });
    const owners = [await a.trading.host.ownedWorker('BTC-USD'), await b.trading.host.ownedWorker('BTC-USD')].filter(Boolean);
    expect(owners).toHaveLength(1);
    const lease = await readLease(a.platform.db.kysely, 'BTC-USD');
    expect([a.trading.host.replicaId, b.trading.host.replicaId]).toContain(lease?.owner);
  });

  it('stops new orders on every replica as soon as a kill switch is engaged on one', async () => {
    const trader = await a.user();
    await a.deposit(trader, 'USD', '10000');
    expect((await b.order(trader, { symbol: 'BTC-USD', side: 'buy', quantity: '0.01', price: '59000' })).status).toBe(201);
    const engaged = await a.request('POST', '/v1/admin/kill-switch', a.adminId, { scope: 'global', engaged: true, reason: 'drill' });
    expect(engaged.body).toMatchObject({ engaged: true });
    expect(engaged.body.cancelledOrders).toBeGreaterThanOrEqual(1);
    for (const replica of [b, a]) {
      const res = await replica.order(trader, { symbol: 'BTC-USD', side: 'buy', quantity: '0.01', price: '59000' });
      expect([res.status, res.body.code]).toEqual([403, 'RISK_KILL_SWITCH']);
    }
    expect((await b.request('GET', '/v1/orders?status=open', trader)).body).toEqual([]);
    expect((await a.request('POST', '/v1/admin/kill-switch', a.adminId, { scope: 'global', engaged: false })).status).toBe(200);
    expect((await b.order(trader, { symbol: 'BTC-USD', side: 'buy', quantity: '0.01', price: '59000' })).status).toBe(201);
  });
});

describe('admin switches on two replicas', () => {
  it('halts a symbol on every replica from the next request when an admin halts it on one', async () => {
    const trader = await a.user();
    await a.deposit(trader, 'USD', '10000');
    const order = (replica: TradingHarness) => replica.order(trader, { symbol: 'BTC-USD', side: 'buy', quantity: '0.01', price: '59000' });
    expect((await order(b)).status).toBe(201);
    expect((await b.request('PUT', '/v1/admin/instruments/BTC-USD/status', b.adminId, { status: 'halted', reason: 'venue incident' })).status).toBe(200);
    for (const replica of [a, b]) {
      const res = await order(replica);
      expect([res.status, res.body.code]).toEqual([503, 'MARKET_HALTED']);
      expect((await replica.request('GET', '/v1/instruments', trader)).body.find((i: { symbol: string }) => i.symbol === 'BTC-USD').status).toBe('halted');
    }
    expect((await a.request('PUT', '/v1/admin/instruments/BTC-USD/status', a.adminId, { status: 'trading', reason: 'resolved' })).status).toBe(200);
    expect((await order(b)).status).toBe(201);
    expect((await order(a)).status).toBe(201);
  });

  it('credits a deposit once when it is retried on both replicas at the same time', async () => {
    const trader = await a.user();
    const body = { depositId: `retry-${trader}`, asset: 'USD', amount: '123.45', reason: 'wire retried after a timeout' };
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => {
      const replica = i % 2 === 0 ? a : b;
      return replica.request('POST', `/v1/admin/accounts/${trader}/deposits`, replica.adminId, body);
    }));
    expect(answers.map((r) => r.status)).toEqual(Array.from({ length: 6 }, () => 201));
    expect(new Set(answers.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect((await b.request('GET', '/v1/balances', trader)).body).toEqual([{ asset: 'USD', total: '123.45', available: '123.45', reserved: '0' }]);
    const journal = await a.platform.db.kysely.selectFrom('trading_ledger').select('amount').where('user_id', '=', trader).execute();
    expect(journal.map((j) => j.amount)).toEqual([123_450_000n]);
  });
});

describe('fencing', () => {
  let db: Database;
  let instrument: Instrument;
  beforeAll(async () => {
    db = await createDatabase(database.url);
    instrument = a.trading.instruments.get('ETH-USD')!;
  });
  afterAll(async () => db?.close());

  it('refuses every write of a paused owner after another replica took its lease over', async () => {
    await a.reference('ETH-USD', '3000');
    const trader = await a.user();
    await a.deposit(trader, 'USD', '10000');
    const leaseClock = createManualClock(Date.UTC(2030, 0, 1));
    const deps = { db, instrument, clock: leaseClock, reference: createAdminReferenceSource({ db: db.kysely, clock: leaseClock, maxAgeMs: 10 ** 12 }), limitDefaults: { maxOrdersPerSecond: 100, selfTradePrevention: 'reject' as const }, onReject: () => undefined };
    const place = (clientOrderId: string) => ({
      op: 'place' as const, symbol: 'ETH-USD', userId: trader, clientOrderId, side: 'buy' as const, type: 'limit' as const,
      quantity: '100000000', price: '290000', timeInForce: 'GTC' as const, postOnly: false, ordersInWindow: 1, ctx: { actor: trader, ip: null, requestId: null },
    });
    // Replica "old" holds the lease (taking it from the platforms, whose clock is far behind).
    const oldFence = await tryAcquire(db.kysely, 'ETH-USD', 'old', leaseClock.now(), 5_000);
    expect(oldFence).not.toBeNull();
    const oldWorker = await openSymbolWorker({ ...deps, fence: leaseFence({ symbol: 'ETH-USD', owner: 'old', fence: oldFence! }) });
    expect(await oldWorker.execute(place('before-pause'))).toMatchObject({ ok: true });

    // "old" pauses (GC, VM freeze) past its lease; "new" takes over and rebuilds from the database.
    expect(await tryAcquire(db.kysely, 'ETH-USD', 'another', leaseClock.now() + 4_999, 5_000)).toBeNull();
    leaseClock.advance(5_001);
    const newFence = await tryAcquire(db.kysely, 'ETH-USD', 'new', leaseClock.now(), 5_000);
    expect(newFence).toBe(oldFence! + 1n);
    const newWorker = await openSymbolWorker({ ...deps, fence: leaseFence({ symbol: 'ETH-USD', owner: 'new', fence: newFence! }) });
    expect(newWorker.book().entries.size).toBe(1);

    // "old" wakes up and tries to write: its fence is stale, the transaction rolls back.
    const count = async () => (await db.kysely.selectFrom('trading_orders').select('id').where('user_id', '=', trader).execute()).length;
    await expect(oldWorker.execute(place('after-pause'))).rejects.toBeInstanceOf(LeaseLostError);
    await expect(oldWorker.execute({ op: 'cancel-where', symbol: 'ETH-USD', userId: null, reason: 'x', ctx: { actor: 'x', ip: null, requestId: null } })).rejects.toBeInstanceOf(LeaseLostError);
    expect(await count()).toBe(1);
    expect(await newWorker.execute(place('on-new-owner'))).toMatchObject({ ok: true });
    expect(await count()).toBe(2);
  });
});
