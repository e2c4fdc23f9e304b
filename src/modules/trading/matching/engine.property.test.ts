/**
 * Property tests (fast-check) for the engine together with settlement, driven the way the order
 * service drives them: an order enters only if the account can reserve what it needs (the risk
 * gate), market orders carry a protection price, and deltas are applied after each match.
 * Properties: no negative balance (nor reservation above the balance); every asset conserved
 * across all trades; no fill at a worse price than the limit; price then FIFO priority; and the
 * reservations held always equal what the open orders need.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineInstrument, notional } from '../instruments/instrument.js';
import { reservationOf, settleMatch } from '../ledger/settlement.js';
import { createOrderBook, levelOrders, sideOf, type Side } from './book.js';
import { applyMatch, matchOrder, type IncomingOrder, type SelfTradePrevention, type TimeInForce } from './engine.js';

const instrument = defineInstrument({
  symbol: 'T-Q', base: 'T', quote: 'Q', baseScale: 2, quoteScale: 2, priceScale: 2,
  tickSize: 1n, lotSize: 100n, minQty: 100n, maxQty: 100_000n, minNotional: 1n, priceBandBps: 5000n,
  maxOrderNotional: 10n ** 12n, maxPosition: 10n ** 12n, status: 'trading',
});
const USERS = ['u0', 'u1', 'u2', 'u3'];
const PROTECTION = { buy: 2_000n, sell: 1n };

const orderArb = fc.record({
  user: fc.integer({ min: 0, max: USERS.length - 1 }),
  side: fc.constantFrom<Side>('buy', 'sell'),
  market: fc.boolean(),
  // A narrow range so levels hold several orders (FIFO is exercised, not just price priority).
  price: fc.integer({ min: 995, max: 1_005 }),
  lots: fc.integer({ min: 1, max: 20 }),
  tif: fc.constantFrom<TimeInForce>('GTC', 'GTC', 'IOC', 'FOK'),
  postOnly: fc.boolean(),
});

type Ledger = Map<string, { total: bigint; reserved: bigint }>;
const key = (userId: string, asset: string) => `${userId}/${asset}`;

type OrderSpec = typeof orderArb extends fc.Arbitrary<infer T> ? T : never;

function simulate(orders: readonly OrderSpec[], stp: SelfTradePrevention, funding: bigint) {
  const book = createOrderBook(instrument.symbol);
  const ledger: Ledger = new Map();
  for (const u of USERS) for (const asset of ['T', 'Q']) ledger.set(key(u, asset), { total: funding, reserved: 0n });
  const initial = { T: funding * BigInt(USERS.length), Q: funding * BigInt(USERS.length) };
  const seqOf = new Map<string, bigint>();
  const limits = new Map<string, { side: Side; price: bigint }>();
  let seq = 0n;

  for (const o of orders) {
    const userId = USERS[o.user] as string;
    const price = o.market ? PROTECTION[o.side] : BigInt(o.price);
    const quantity = BigInt(o.lots) * instrument.lotSize;
    const taker: IncomingOrder = {
      id: `o${seq + 1n}`, userId, side: o.side, price, quantity,
      timeInForce: o.market && o.tif === 'GTC' ? 'IOC' : o.tif, postOnly: o.postOnly && !o.market && o.tif === 'GTC', seq: seq + 1n,
    };
    // The risk gate: the full reservation must be available.
    const need = reservationOf(instrument, o.side, price, quantity);
    const account = ledger.get(key(userId, need.asset))!;
    if (account.total - account.reserved < need.amount) continue;
    const result = matchOrder(book, taker, stp);
    if (result.kind === 'rejected') continue;
    seq++;
    seqOf.set(taker.id, taker.seq);
    limits.set(taker.id, { side: taker.side, price });

    // No fill worse than the limit; price priority (monotone prices); FIFO within a level.
    let lastPrice: bigint | null = null;
    const lastSeqAt = new Map<bigint, bigint>();
    for (const fill of result.fills) {
      expect(o.side === 'buy' ? fill.price <= price : fill.price >= price).toBe(true);
      const makerLimit = limits.get(fill.makerId)!;
      expect(fill.price).toBe(makerLimit.price);
      if (lastPrice !== null) expect(o.side === 'buy' ? fill.price >= lastPrice : fill.price <= lastPrice).toBe(true);
      lastPrice = fill.price;
      const makerSeq = seqOf.get(fill.makerId)!;
      expect(makerSeq > (lastSeqAt.get(fill.price) ?? -1n)).toBe(true);
      lastSeqAt.set(fill.price, makerSeq);
      expect(fill.makerUserId).not.toBe(userId);
    }

    const settlement = settleMatch(instrument, taker, result);
    for (const d of settlement.balances) {
      const account = ledger.get(key(d.userId, d.asset))!;
      account.total += d.total;
      account.reserved += d.reserved;
    }
    for (const line of settlement.journal) expect(line.amount === 0n).toBe(false);
    applyMatch(book, taker, result);

    // FIFO: nothing older than a filled maker is left at that level (own orders were cancelled or rejected).
    for (const [levelPrice, makerSeq] of lastSeqAt) {
      const level = sideOf(book, o.side === 'buy' ? 'sell' : 'buy').byPrice.get(levelPrice);
      for (const left of level ? levelOrders(level) : []) expect(left.seq >= makerSeq).toBe(true);
    }
    // No negative balance, reservation within the balance.
    for (const account of ledger.values()) {
      expect(account.total >= 0n).toBe(true);
      expect(account.reserved >= 0n).toBe(true);
      expect(account.reserved <= account.total).toBe(true);
    }
  }

  // Conservation: trades move assets between accounts, never create or destroy them.
  for (const asset of ['T', 'Q'] as const) {
    let sum = 0n;
    for (const u of USERS) sum += ledger.get(key(u, asset))!.total;
    expect(sum).toBe(initial[asset]);
  }
  // Reservations equal exactly what the open orders on the book need.
  const needed = new Map<string, bigint>();
  for (const side of ['buy', 'sell'] as const) {
    for (const level of sideOf(book, side).levels) {
      for (const order of levelOrders(level)) {
        const held = reservationOf(instrument, side, order.price, order.remaining);
        needed.set(key(order.userId, held.asset), (needed.get(key(order.userId, held.asset)) ?? 0n) + held.amount);
      }
    }
  }
  for (const [k, account] of ledger) expect(account.reserved).toBe(needed.get(k) ?? 0n);
  return book;
}

describe('matching engine properties', () => {
  for (const stp of ['reject', 'cancel-resting'] as const) {
    it(`holds every invariant over random order streams (self-trade prevention: ${stp})`, () => {
      fc.assert(fc.property(fc.array(orderArb, { minLength: 1, maxLength: 120 }), fc.bigInt({ min: 0n, max: 5_000_000n }), (orders, funding) => {
        simulate(orders, stp, funding);
      }), { numRuns: 300 });
    });
  }

  it('notional is exact for every tick/lot multiple (no rounding in settlement)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: 10n ** 9n }), fc.bigInt({ min: 1n, max: 10n ** 6n }), (ticks, lots) => {
      const price = ticks * instrument.tickSize;
      const quantity = lots * instrument.lotSize;
      expect(notional(instrument, price, quantity) * instrument.notionalDivisor).toBe(price * quantity);
    }));
  });
});
