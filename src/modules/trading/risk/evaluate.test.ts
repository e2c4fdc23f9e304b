import { describe, expect, it } from 'vitest';
import { defineInstrument } from '../instruments/instrument.js';
import { addResting, createOrderBook } from '../matching/book.js';
import { protectionPrice, REFERENCE_SCALE, toReferencePrice, withinBand } from './band.js';
import { evaluateRisk } from './evaluate.js';
import type { RiskInput } from './types.js';

// BTC-USD as seeded: price scale 2, BTC 8 digits, USD 6 digits, tick 0.01, lot 0.0001 BTC, band 5 %.
const btc = defineInstrument({
  symbol: 'BTC-USD', base: 'BTC', quote: 'USD', baseScale: 8, quoteScale: 6, priceScale: 2,
  tickSize: 1n, lotSize: 10_000n, minQty: 10_000n, maxQty: 10_000_000_000n, minNotional: 10_000_000n,
  priceBandBps: 500n, maxOrderNotional: 10n ** 12n, maxPosition: 10n ** 11n, status: 'trading',
});
const ref = (dollars: bigint) => dollars * 10n ** BigInt(REFERENCE_SCALE);
const BTC = 100_000_000n;
const USD = 1_000_000n;

function input(over: { order?: Partial<RiskInput['order']> } & Partial<Omit<RiskInput, 'order'>> = {}): RiskInput {
  const { order, ...rest } = over;
  return {
    order: { userId: 'u1', symbol: 'BTC-USD', clientOrderId: 'c1', side: 'buy', type: 'limit', quantity: BTC / 10n, price: 6_000_000n, timeInForce: 'GTC', postOnly: false, ...order },
    instrument: btc,
    limits: { maxOrderQuantity: 10n * BTC, maxOrderNotional: 1_000_000n * USD, maxPosition: 10n * BTC, maxOrdersPerWindow: 10, selfTradePrevention: 'reject' },
    account: { available: { base: BTC, quote: 100_000n * USD }, position: 0n, open: { buy: 0n, sell: 0n } },
    reference: { status: 'ok', price: ref(60_000n) },
    book: createOrderBook('BTC-USD'),
    killSwitch: { global: false, user: false, symbol: false },
    duplicate: false,
    ordersInWindow: 1,
    ...rest,
  };
}
const codeOf = (i: RiskInput) => {
  const verdict = evaluateRisk(i);
  return verdict.ok ? 'OK' : verdict.code;
};

describe('evaluateRisk', () => {
  it('accepts a valid limit order and reserves its full notional', () => {
    expect(evaluateRisk(input())).toEqual({ ok: true, executionPrice: 6_000_000n, reservation: { asset: 'USD', amount: 6_000n * USD } });
  });

  it('reserves base quantity for a sell and the band-edge notional for a market buy', () => {
    expect(evaluateRisk(input({ order: { side: 'sell' } }))).toMatchObject({ ok: true, reservation: { asset: 'BTC', amount: BTC / 10n } });
    expect(evaluateRisk(input({ order: { type: 'market', price: null, timeInForce: 'IOC' } })))
      .toEqual({ ok: true, executionPrice: 6_300_000n, reservation: { asset: 'USD', amount: 6_300n * USD } });
  });

  it.each([
    ['global', { global: true, user: false, symbol: false }],
    ['user', { global: false, user: true, symbol: false }],
    ['symbol', { global: false, user: false, symbol: true }],
  ] as const)('refuses everything under the %s kill switch', (_scope, killSwitch) => {
    expect(codeOf(input({ killSwitch }))).toBe('RISK_KILL_SWITCH');
  });

  it('refuses on a halted market, a halted or stale or missing reference', () => {
    expect(codeOf(input({ instrument: { ...btc, status: 'halted' } }))).toBe('MARKET_HALTED');
    expect(codeOf(input({ reference: { status: 'halted', price: ref(60_000n) } }))).toBe('MARKET_HALTED');
    expect(codeOf(input({ reference: { status: 'stale', price: ref(60_000n) } }))).toBe('PRICE_STALE');
    expect(codeOf(input({ reference: { status: 'unknown', price: null } }))).toBe('PRICE_STALE');
  });

  it('refuses above the order rate', () => {
    expect(codeOf(input({ ordersInWindow: 10 }))).toBe('OK');
    expect(codeOf(input({ ordersInWindow: 11 }))).toBe('RISK_ORDER_RATE');
  });

  it.each([
    ['off-lot quantity', { quantity: 15_000n }],
    ['below minimum quantity', { quantity: 0n }],
    ['market with price', { type: 'market' as const, timeInForce: 'IOC' as const }],
    ['limit without price', { price: null }],
    ['GTC market', { type: 'market' as const, price: null }],
    ['post-only IOC', { postOnly: true, timeInForce: 'IOC' as const }],
  ])('refuses an invalid order: %s', (_name, order) => {
    expect(codeOf(input({ order }))).toBe('ORDER_INVALID');
  });

  it('refuses a price off the tick grid', () => {
    const nickel = defineInstrument({ ...btc, tickSize: 5n });
    expect(codeOf(input({ instrument: nickel, order: { price: 6_000_005n } }))).toBe('OK');
    expect(codeOf(input({ instrument: nickel, order: { price: 6_000_003n } }))).toBe('ORDER_INVALID');
  });

  it('refuses a notional below the instrument minimum', () => {
    // 0.0001 BTC at 60,000 = 6 USD < 10 USD minimum.
    expect(codeOf(input({ order: { quantity: 10_000n } }))).toBe('ORDER_INVALID');
  });

  it('refuses a duplicate clientOrderId', () => {
    expect(codeOf(input({ duplicate: true }))).toBe('ORDER_DUPLICATE');
  });

  it('refuses a quantity above the account limit or the instrument maximum', () => {
    expect(codeOf(input({ order: { quantity: 11n * BTC }, account: { available: { base: 100n * BTC, quote: 10n ** 15n }, position: 0n, open: { buy: 0n, sell: 0n } } }))).toBe('RISK_MAX_QTY');
    const generous = { maxOrderQuantity: 10n ** 15n, maxOrderNotional: 10n ** 18n, maxPosition: 10n ** 15n, maxOrdersPerWindow: 10, selfTradePrevention: 'reject' as const };
    expect(codeOf(input({ limits: generous, order: { quantity: 101n * BTC } }))).toBe('RISK_MAX_QTY');
  });

  it('refuses a limit price outside ±5 % of the reference, and accepts the edges', () => {
    expect(codeOf(input({ order: { price: 6_300_000n } }))).toBe('OK');
    expect(codeOf(input({ order: { price: 6_300_001n } }))).toBe('RISK_PRICE_BAND');
    expect(codeOf(input({ order: { side: 'sell', price: 5_700_000n } }))).toBe('OK');
    expect(codeOf(input({ order: { side: 'sell', price: 5_699_999n } }))).toBe('RISK_PRICE_BAND');
  });

  it('refuses a notional above the account limit', () => {
    expect(codeOf(input({ limits: { ...input().limits, maxOrderNotional: 5_999n * USD } }))).toBe('RISK_MAX_NOTIONAL');
  });

  it('counts open orders toward the position limit, only in the direction the order adds to', () => {
    const account = { available: { base: 100n * BTC, quote: 10n ** 15n }, position: 9n * BTC, open: { buy: BTC - BTC / 10n, sell: 0n } };
    expect(codeOf(input({ account }))).toBe('OK');
    expect(codeOf(input({ account: { ...account, open: { buy: BTC, sell: 0n } } }))).toBe('RISK_POSITION_LIMIT');
    // Already beyond the limit (the limit was lowered): selling still reduces the position.
    expect(codeOf(input({ account: { ...account, position: 12n * BTC }, order: { side: 'sell' } }))).toBe('OK');
    expect(codeOf(input({ account: { ...account, position: -10n * BTC }, order: { side: 'sell' } }))).toBe('RISK_POSITION_LIMIT');
  });

  it('refuses when the available balance cannot cover the reservation', () => {
    const account = { available: { base: 0n, quote: 5_999n * USD }, position: 0n, open: { buy: 0n, sell: 0n } };
    expect(codeOf(input({ account }))).toBe('RISK_INSUFFICIENT_BALANCE');
    expect(codeOf(input({ account, order: { side: 'sell' } }))).toBe('RISK_INSUFFICIENT_BALANCE');
  });

  it('refuses a self-trade in reject mode but leaves cancel-resting accounts to the engine', () => {
    const book = createOrderBook('BTC-USD');
    addResting(book, { id: 'own', userId: 'u1', side: 'sell', price: 6_000_000n, remaining: BTC, seq: 1n });
    expect(codeOf(input({ book }))).toBe('RISK_SELF_TRADE');
    expect(codeOf(input({ book, limits: { ...input().limits, selfTradePrevention: 'cancel-resting' } }))).toBe('OK');
  });

  it('refuses a post-only order that would take', () => {
    const book = createOrderBook('BTC-USD');
    addResting(book, { id: 'm', userId: 'u2', side: 'sell', price: 6_000_000n, remaining: BTC, seq: 1n });
    expect(codeOf(input({ book, order: { postOnly: true } }))).toBe('ORDER_POST_ONLY_REJECTED');
    expect(codeOf(input({ book, order: { postOnly: true, price: 5_999_999n } }))).toBe('OK');
  });
});

describe('price bands', () => {
  it('puts the protection price on the band edge, rounded inward to a tick', () => {
    const reference = ref(60_000n) + 7n * 10n ** 15n; // 60000.007
    const up = protectionPrice(btc, 'buy', reference);
    const down = protectionPrice(btc, 'sell', reference);
    expect(withinBand(btc, up, reference)).toBe(true);
    expect(withinBand(btc, up + 1n, reference)).toBe(false);
    expect(withinBand(btc, down, reference)).toBe(true);
    expect(withinBand(btc, down - 1n, reference)).toBe(false);
  });

  it('reads port quotes exactly and treats unusable prices as unknown', () => {
    expect(toReferencePrice({ symbol: 'BTC-USD', price: '60000.5', status: 'ok', updatedAt: 1 })).toEqual({ status: 'ok', price: 600005n * 10n ** 17n });
    expect(toReferencePrice({ symbol: 'BTC-USD', price: null, status: 'ok', updatedAt: null }).status).toBe('unknown');
    expect(toReferencePrice({ symbol: 'BTC-USD', price: '-1', status: 'ok', updatedAt: 1 }).status).toBe('unknown');
    expect(toReferencePrice({ symbol: 'BTC-USD', price: '0', status: 'ok', updatedAt: 1 }).status).toBe('unknown');
    expect(toReferencePrice({ symbol: 'BTC-USD', price: null, status: 'halted', updatedAt: 1 }).status).toBe('halted');
  });
});
