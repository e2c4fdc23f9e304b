/**
 * The trading API end to end on each database (SQLite: one local writer; PostgreSQL with Redis:
 * the lease-holding writer): instruments, deposits, matching with balances, positions and fills,
 * order queries, cancellation, time-in-force, post-only, market orders, and a restart that
 * rebuilds the book from the database with time priority intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends, testRedisUrl, type ThrowawayDatabase } from '../support/backends.js';
import { startTradingHarness, type TradingHarness } from './trading-harness.js';

const backends = await databaseBackends();
const redisUrl = await testRedisUrl();

describe.each(backends)('trading on $name', (backend) => {
  let database: ThrowawayDatabase;
  let h: TradingHarness;
  const env = () => (backend.name === 'postgres' ? { Q2_DATABASE_URL: database.url, ...(redisUrl ? { Q2_REDIS_URL: redisUrl } : {}) } : {});

  beforeAll(async () => {
    database = await backend.provision();
    h = await startTradingHarness(backend.name === 'postgres' ? env() : { Q2_DATABASE_URL: database.url });
    await h.reference('BTC-USD', '60000');
  });
  afterAll(async () => {
    await h?.platform.stop();
    await database?.drop();
  });

  const balances = async (userId: string) => Object.fromEntries(((await h.request('GET', '/v1/balances', userId)).body as { asset: string; total: string; available: string; reserved: string }[])
    .map((b) => [b.asset, { total: b.total, available: b.available, reserved: b.reserved }]));

  it('lists the seeded instruments with decimal-string rules', async () => {
    const res = await h.request('GET', '/v1/instruments', null);
    expect(res.status).toBe(200);
    expect(res.body).toContainEqual({ symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.0001', minQty: '0.0001', maxQty: '100', minNotional: '10', priceBandPct: '5', status: 'trading' });
  });

  it('matches a buy against a resting sell, moving both balances and positions exactly', async () => {
    const seller = await h.user();
    const buyer = await h.user();
    await h.deposit(seller, 'BTC', '2');
    await h.deposit(buyer, 'USD', '100000');
    const ask = await h.order(seller, { symbol: 'BTC-USD', side: 'sell', quantity: '1.5', price: '60100.5' });
    expect(ask.status, JSON.stringify(ask.body)).toBe(201);
    expect(ask.body).toMatchObject({ status: 'open', filledQuantity: '0', remainingQuantity: '1.5', fills: [] });
    expect(await balances(seller)).toEqual({ BTC: { total: '2', available: '0.5', reserved: '1.5' } });

    const bid = await h.order(buyer, { symbol: 'BTC-USD', side: 'buy', quantity: '1', price: '60200' });
    expect(bid.status, JSON.stringify(bid.body)).toBe(201);
    expect(bid.body).toMatchObject({ status: 'filled', filledQuantity: '1', fills: [{ price: '60100.5', quantity: '1', liquidity: 'taker' }] });
    expect(await balances(buyer)).toEqual({ BTC: { total: '1', available: '1', reserved: '0' }, USD: { total: '39899.5', available: '39899.5', reserved: '0' } });
    expect(await balances(seller)).toEqual({ BTC: { total: '1', available: '0.5', reserved: '0.5' }, USD: { total: '60100.5', available: '60100.5', reserved: '0' } });
    expect((await h.request('GET', '/v1/positions', buyer)).body).toEqual([{ symbol: 'BTC-USD', quantity: '1' }]);
    expect((await h.request('GET', '/v1/positions', seller)).body).toEqual([{ symbol: 'BTC-USD', quantity: '-1' }]);

    const makerView = await h.request('GET', `/v1/orders/${ask.body.orderId}`, seller);
    expect(makerView.body).toMatchObject({ status: 'partially_filled', filledQuantity: '1', remainingQuantity: '0.5', fills: [{ liquidity: 'maker', price: '60100.5' }] });
    const open = await h.request('GET', '/v1/orders?status=open', seller);
    expect(open.body.map((o: { orderId: string }) => o.orderId)).toEqual([ask.body.orderId]);
  });

  it('answers 404 for another account\'s order, on read and on cancel', async () => {
    const owner = await h.user();
    const other = await h.user();
    await h.deposit(owner, 'USD', '1000');
    const placed = await h.order(owner, { symbol: 'BTC-USD', side: 'buy', quantity: '0.01', price: '59000' });
    expect(placed.status).toBe(201);
    for (const res of [
      await h.request('GET', `/v1/orders/${placed.body.orderId}`, other),
      await h.request('DELETE', `/v1/orders/${placed.body.orderId}`, other),
      await h.request('GET', '/v1/orders/00000000-0000-4000-8000-000000000000', owner),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
  });

  it('cancels an open order, releases its reservation, and refuses a second cancel', async () => {
    const trader = await h.user();
    await h.deposit(trader, 'USD', '1000');
    const placed = await h.order(trader, { symbol: 'BTC-USD', side: 'buy', quantity: '0.01', price: '59000' });
    expect(await balances(trader)).toEqual({ USD: { total: '1000', available: '410', reserved: '590' } });
    const cancelled = await h.request('DELETE', `/v1/orders/${placed.body.orderId}`, trader);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelReason: 'user', remainingQuantity: '0' });
    expect(await balances(trader)).toEqual({ USD: { total: '1000', available: '1000', reserved: '0' } });
    const again = await h.request('DELETE', `/v1/orders/${placed.body.orderId}`, trader);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ORDER_NOT_OPEN');
  });

  it('IOC fills what it can and expires the rest; FOK fills all or nothing; market orders stay inside the band', async () => {
    await h.reference('ETH-USD', '3000');
    const maker = await h.user();
    const taker = await h.user();
    await h.deposit(maker, 'ETH', '1');
    await h.deposit(taker, 'USD', '20000');
    expect((await h.order(maker, { symbol: 'ETH-USD', side: 'sell', quantity: '0.3', price: '3050' })).status).toBe(201);
    const fok = await h.order(taker, { symbol: 'ETH-USD', side: 'buy', quantity: '0.5', price: '3050', timeInForce: 'FOK' });
    expect(fok.body).toMatchObject({ status: 'expired', filledQuantity: '0', fills: [] });
    const ioc = await h.order(taker, { symbol: 'ETH-USD', side: 'buy', quantity: '0.5', price: '3050', timeInForce: 'IOC' });
    expect(ioc.body).toMatchObject({ status: 'expired', filledQuantity: '0.3', remainingQuantity: '0' });
    expect((await h.order(maker, { symbol: 'ETH-USD', side: 'sell', quantity: '0.1', price: '3090' })).status).toBe(201);
    expect((await h.order(maker, { symbol: 'ETH-USD', side: 'sell', quantity: '0.1', price: '3140' })).status).toBe(201);
    // The reference moves down: the band now ends at 3097.5, the market buy's protection price.
    await h.reference('ETH-USD', '2950');
    const market = await h.order(taker, { symbol: 'ETH-USD', side: 'buy', type: 'market', quantity: '0.2', timeInForce: 'IOC' });
    expect(market.body).toMatchObject({ status: 'expired', filledQuantity: '0.1', price: null, fills: [{ price: '3090', quantity: '0.1' }] });
    expect((await balances(taker)).USD).toEqual({ total: '18776', available: '18776', reserved: '0' });
    expect((await balances(taker)).ETH).toEqual({ total: '0.4', available: '0.4', reserved: '0' });
  });

  it('rests a post-only order that does not cross and refuses one that would', async () => {
    const maker = await h.user();
    await h.deposit(maker, 'USD', '10000');
    const seller = await h.user();
    await h.deposit(seller, 'BTC', '1');
    await h.order(seller, { symbol: 'BTC-USD', side: 'sell', quantity: '0.01', price: '60500' });
    const rests = await h.order(maker, { symbol: 'BTC-USD', side: 'buy', quantity: '0.01', price: '60000', postOnly: true });
    expect(rests.body).toMatchObject({ status: 'open', postOnly: true });
    const crosses = await h.order(maker, { symbol: 'BTC-USD', side: 'buy', quantity: '0.01', price: '60500', postOnly: true });
    expect(crosses.status).toBe(422);
    expect(crosses.body.code).toBe('ORDER_POST_ONLY_REJECTED');
  });

  it('lets an API key with the read scope read but not trade', async () => {
    const trader = await h.user();
    const readOnly = { 'x-test-scopes': 'read' };
    expect((await h.request('GET', '/v1/balances', trader, undefined, readOnly)).status).toBe(200);
    const res = await h.request('POST', '/v1/orders', trader, { clientOrderId: 'k1', symbol: 'BTC-USD', side: 'buy', type: 'limit', quantity: '0.01', price: '60000', timeInForce: 'GTC' }, readOnly);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('APIKEY_SCOPE_FORBIDDEN');
  });

  it('rejects unknown fields, numbers for amounts and unbounded strings with 400 before any risk check', async () => {
    const trader = await h.user();
    for (const payload of [
      { clientOrderId: 'a', symbol: 'BTC-USD', side: 'buy', type: 'limit', quantity: '1', price: '1', timeInForce: 'GTC', leverage: 100 },
      { clientOrderId: 'a', symbol: 'BTC-USD', side: 'buy', type: 'limit', quantity: 1, price: '1', timeInForce: 'GTC' },
      { clientOrderId: 'a'.repeat(65), symbol: 'BTC-USD', side: 'buy', type: 'limit', quantity: '1', price: '1', timeInForce: 'GTC' },
      { clientOrderId: 'a', symbol: 'BTC-USD', side: 'buy', type: 'limit', quantity: '1e3', price: '1', timeInForce: 'GTC' },
    ]) {
      const res = await h.request('POST', '/v1/orders', trader, payload);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('rebuilds the book from the database on restart, keeping price-time priority and reservations', async () => {
    await h.reference('ETH-USD', '3000');
    const first = await h.user();
    const second = await h.user();
    const buyer = await h.user();
    await h.deposit(first, 'ETH', '1');
    await h.deposit(second, 'ETH', '2');
    await h.deposit(buyer, 'USD', '10000');
    const a = await h.order(second, { symbol: 'ETH-USD', side: 'sell', quantity: '0.5', price: '3010' });
    const b = await h.order(first, { symbol: 'ETH-USD', side: 'sell', quantity: '0.5', price: '3005' });
    const c = await h.order(second, { symbol: 'ETH-USD', side: 'sell', quantity: '0.6', price: '3005' });
    for (const r of [a, b, c]) expect(r.status).toBe(201);

    h = await h.restart();
    const res = await h.order(buyer, { symbol: 'ETH-USD', side: 'buy', quantity: '1', price: '3005' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // Best price first (3005), and within 3005 the earlier order (b) before the later one (c).
    const fills = res.body.fills as { price: string; quantity: string }[];
    expect(fills.map((f) => [f.price, f.quantity])).toEqual([['3005', '0.5'], ['3005', '0.5']]);
    expect((await h.request('GET', `/v1/orders/${b.body.orderId}`, first)).body.status).toBe('filled');
    expect((await h.request('GET', `/v1/orders/${c.body.orderId}`, second)).body).toMatchObject({ status: 'partially_filled', remainingQuantity: '0.1' });
    expect((await h.request('GET', `/v1/orders/${a.body.orderId}`, second)).body).toMatchObject({ status: 'open', remainingQuantity: '0.5' });
    expect((await balances(second)).ETH).toEqual({ total: '1.5', available: '0.9', reserved: '0.6' });
  });
});
