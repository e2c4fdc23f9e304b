/**
 * Threat: orders that bypass pre-trade risk controls (SEC Rule 15c3-5) — fat fingers, runaway
 * algorithms, self-matching (wash trades), trading on a stale or halted price, spending money
 * that is not there, or trading on after a kill switch. One test per rejection code; each
 * proves the rejected order changed no balance, reservation, order, position, journal or book
 * state, and that the rejection is a security event.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/lib/events/index.js';
import { startTradingHarnessOn, type TradingHarness } from '../e2e/trading-harness.js';

let h: TradingHarness;
let alice: string;
let bob: string;
let stopHarness: (() => Promise<void>) | undefined;
const events: SecurityEvent[] = [];

/** The embedded default (SQLite, in-process state), or PostgreSQL with Redis as replicas run it. */
async function start(backend: 'sqlite' | 'postgres'): Promise<void> {
  ({ h, stop: stopHarness } = await startTradingHarnessOn(backend));
  await h.reference('BTC-USD', '60000');
}

async function stop(): Promise<void> {
  await stopHarness?.();
  stopHarness = undefined;
}

beforeEach(async () => {
  h.platform.events.subscribe('risk-test', (event) => {
    events.push(event);
  });
  alice = await h.user();
  bob = await h.user();
  await h.deposit(alice, 'USD', '100000');
  await h.deposit(alice, 'BTC', '2');
  await h.deposit(bob, 'BTC', '2');
  // A resting order of each account, so the book and reservations are not trivially empty.
  expect((await place(alice, { symbol: 'BTC-USD', side: 'buy', quantity: '0.1', price: '59000' })).status).toBe(201);
  expect((await place(bob, { symbol: 'BTC-USD', side: 'sell', quantity: '0.1', price: '61000' })).status).toBe(201);
});

async function expectRejectedWithoutEffect(code: string, status: number, order: Record<string, unknown>, as = alice) {
  const before = await h.snapshot([alice, bob], 'BTC-USD');
  const res = await place(as, order);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.code).toBe(code);
  expect(await h.snapshot([alice, bob], 'BTC-USD')).toEqual(before);
  await h.platform.events.drain();
  expect(events.splice(0).some((e) => e.type === 'risk.rejected' && e.details.code === code && e.outcome === 'denied')).toBe(true);
}

const place = (as: string, body: Record<string, unknown>) => h.order(as, { symbol: 'BTC-USD', ...body });
const limits = (body: Record<string, unknown>, userId = alice) => h.request('PUT', `/v1/admin/risk-limits/${userId}`, h.adminId, body);

describe.each(['sqlite', 'postgres'] as const)('pre-trade risk on %s: every rejection leaves no trace in balances, reservations or the book', (backend) => {
  beforeAll(() => start(backend));
  afterAll(stop);

  /** The order-rate window is the state store's: the injected clock in memory, Redis's own key expiry there. */
  async function freshRateWindow(ms: number): Promise<void> {
    h.clock.advance(ms);
    if (backend === 'postgres') await new Promise((resolve) => setTimeout(resolve, 1_100));
  }

  it('ORDER_INVALID: off-lot quantity, finer-than-tick price, unknown symbol, notional below minimum', async () => {
    await expectRejectedWithoutEffect('ORDER_INVALID', 400, { side: 'buy', quantity: '0.00015', price: '60000' });
    await expectRejectedWithoutEffect('ORDER_INVALID', 400, { side: 'buy', quantity: '0.1', price: '60000.001' });
    await expectRejectedWithoutEffect('ORDER_INVALID', 400, { symbol: 'DOGE-USD', side: 'buy', quantity: '1', price: '1' });
    await expectRejectedWithoutEffect('ORDER_INVALID', 400, { side: 'buy', quantity: '0.0001', price: '60000' });
  });

  it('ORDER_DUPLICATE: a clientOrderId is used once per account', async () => {
    const first = await place(alice, { clientOrderId: 'dup-1', side: 'buy', quantity: '0.01', price: '58000' });
    expect(first.status).toBe(201);
    await expectRejectedWithoutEffect('ORDER_DUPLICATE', 409, { clientOrderId: 'dup-1', side: 'buy', quantity: '0.01', price: '58000' });
  });

  it('RISK_MAX_QTY: above the account\'s quantity limit or the instrument maximum', async () => {
    expect((await limits({ symbols: { 'BTC-USD': { maxOrderQuantity: '0.5' } } })).status).toBe(200);
    await expectRejectedWithoutEffect('RISK_MAX_QTY', 422, { side: 'sell', quantity: '0.6', price: '61000' });
    await expectRejectedWithoutEffect('RISK_MAX_QTY', 422, { side: 'buy', quantity: '101', price: '60000' }, bob);
  });

  it('RISK_MAX_NOTIONAL: above the account\'s notional limit (a fat-finger guard)', async () => {
    expect((await limits({ symbols: { 'BTC-USD': { maxOrderNotional: '10000' } } })).status).toBe(200);
    await expectRejectedWithoutEffect('RISK_MAX_NOTIONAL', 422, { side: 'buy', quantity: '0.2', price: '60000' });
  });

  it('RISK_PRICE_BAND: a limit more than 5 % away from the reference price', async () => {
    await expectRejectedWithoutEffect('RISK_PRICE_BAND', 422, { side: 'buy', quantity: '0.01', price: '63000.01' });
    await expectRejectedWithoutEffect('RISK_PRICE_BAND', 422, { side: 'sell', quantity: '0.01', price: '56999.99' });
  });

  it('RISK_INSUFFICIENT_BALANCE: the reservation counts what open orders already hold', async () => {
    // 100000 USD − 5900 reserved = 94100 available; 1.6 BTC at 60000 needs 96000.
    await expectRejectedWithoutEffect('RISK_INSUFFICIENT_BALANCE', 422, { side: 'buy', quantity: '1.6', price: '60000' });
    await expectRejectedWithoutEffect('RISK_INSUFFICIENT_BALANCE', 422, { side: 'sell', quantity: '2', price: '61000' }, bob);
  });

  it('RISK_POSITION_LIMIT: position plus open orders in the same direction', async () => {
    expect((await limits({ symbols: { 'BTC-USD': { maxPosition: '0.15' } } })).status).toBe(200);
    await expectRejectedWithoutEffect('RISK_POSITION_LIMIT', 422, { side: 'buy', quantity: '0.06', price: '59000' });
  });

  it('RISK_ORDER_RATE: more orders per second than the account may send (with Retry-After)', async () => {
    expect((await limits({ maxOrdersPerSecond: 3 })).status).toBe(200);
    await freshRateWindow(2_000);
    for (let i = 0; i < 3; i++) expect((await place(alice, { side: 'buy', quantity: '0.01', price: '58000' })).status).toBe(201);
    const before = await h.snapshot([alice, bob], 'BTC-USD');
    const res = await place(alice, { side: 'buy', quantity: '0.01', price: '58000' });
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('RISK_ORDER_RATE');
    expect(await h.snapshot([alice, bob], 'BTC-USD')).toEqual(before);
    await freshRateWindow(1_001);
    expect((await place(alice, { side: 'buy', quantity: '0.01', price: '58000' })).status).toBe(201);
  });

  it('RISK_SELF_TRADE: an order that would match the account\'s own resting order', async () => {
    expect((await place(alice, { side: 'sell', quantity: '0.05', price: '60500' })).status).toBe(201);
    await expectRejectedWithoutEffect('RISK_SELF_TRADE', 422, { side: 'buy', quantity: '0.05', price: '60600' });
  });

  it('ORDER_POST_ONLY_REJECTED: a post-only order that would take', async () => {
    await expectRejectedWithoutEffect('ORDER_POST_ONLY_REJECTED', 422, { side: 'buy', quantity: '0.05', price: '61000', postOnly: true });
  });

  it('RISK_KILL_SWITCH: per account, per symbol and global; engaging cancels resting orders and releases their reservations', async () => {
    const engage = (scope: string, target: string | undefined, engaged: boolean) =>
      h.request('POST', '/v1/admin/kill-switch', h.adminId, { scope, ...(target ? { target } : {}), engaged, reason: 'test' });
    const user = await engage('user', alice, true);
    expect(user.body).toEqual({ scope: 'user', target: alice, engaged: true, cancelledOrders: 1 });
    expect((await h.request('GET', '/v1/balances', alice)).body).toContainEqual({ asset: 'USD', total: '100000', available: '100000', reserved: '0' });
    await expectRejectedWithoutEffect('RISK_KILL_SWITCH', 403, { side: 'buy', quantity: '0.01', price: '58000' });
    expect((await engage('user', alice, false)).status).toBe(200);

    expect((await engage('symbol', 'BTC-USD', true)).body.cancelledOrders).toBeGreaterThanOrEqual(1);
    await expectRejectedWithoutEffect('RISK_KILL_SWITCH', 403, { side: 'buy', quantity: '0.01', price: '58000' }, bob);
    expect((await engage('symbol', 'BTC-USD', false)).status).toBe(200);

    expect((await engage('global', undefined, true)).status).toBe(200);
    await expectRejectedWithoutEffect('RISK_KILL_SWITCH', 403, { side: 'sell', quantity: '0.01', price: '61000' }, bob);
    expect((await engage('global', undefined, false)).status).toBe(200);
    expect((await place(bob, { side: 'sell', quantity: '0.01', price: '61000' })).status).toBe(201);
  });

  it('PRICE_STALE: no reference price for the symbol, or an admin price older than a day', async () => {
    await h.deposit(alice, 'ETH', '1');
    const before = await h.snapshot([alice, bob], 'ETH-USD');
    const res = await place(alice, { symbol: 'ETH-USD', side: 'sell', quantity: '0.1', price: '3000' });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('PRICE_STALE');
    expect(await h.snapshot([alice, bob], 'ETH-USD')).toEqual(before);
    h.clock.advance(24 * 60 * 60_000 + 1);
    await expectRejectedWithoutEffect('PRICE_STALE', 503, { side: 'buy', quantity: '0.01', price: '60000' });
    await h.reference('BTC-USD', '60000');
  });

  it('MARKET_HALTED: an instrument halted by an admin takes no orders from the next request, until resumed', async () => {
    const halt = (status: string, as = h.adminId) => h.request('PUT', '/v1/admin/instruments/BTC-USD/status', as, { status, reason: 'exchange incident drill' });
    expect((await halt('halted', alice)).status).toBe(403);
    expect((await h.request('PUT', '/v1/admin/instruments/BTC-USD/status', h.adminId, { status: 'halted', reason: 'x' }, { 'x-test-stale': '1' })).body.code).toBe('AUTH_STEP_UP_REQUIRED');
    expect((await halt('closed')).status).toBe(400);
    expect((await h.request('PUT', '/v1/admin/instruments/XRP-USD/status', h.adminId, { status: 'halted', reason: 'x' })).status).toBe(404);
    expect((await halt('halted')).body).toEqual({ symbol: 'BTC-USD', status: 'halted' });
    try {
      expect((await h.request('GET', '/v1/instruments', alice)).body.find((i: { symbol: string }) => i.symbol === 'BTC-USD').status).toBe('halted');
      await h.platform.events.drain();
      expect(events.find((e) => e.type === 'trading.instrument.status')).toMatchObject({ actor: h.adminId, target: 'BTC-USD', details: { status: 'halted' } });
      await expectRejectedWithoutEffect('MARKET_HALTED', 503, { side: 'buy', quantity: '0.01', price: '60000' });
    } finally {
      expect((await halt('trading')).status).toBe(200);
    }
    expect((await h.order(alice, { symbol: 'BTC-USD', side: 'buy', quantity: '0.01', price: '60000' })).status).toBe(201);
  });
});
