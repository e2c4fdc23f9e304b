import { describe, expect, it } from 'vitest';
import { addResting, bestPrice, createOrderBook, depth, levelOrders, openQuantity, removeResting, sideOf, type OrderBook, type Side } from './book.js';
import { applyMatch, matchOrder, wouldSelfTrade, wouldTake, type IncomingOrder, type SelfTradePrevention } from './engine.js';

let seq = 0n;
function rest(book: OrderBook, id: string, userId: string, side: Side, price: bigint, quantity: bigint): void {
  addResting(book, { id, userId, side, price, remaining: quantity, seq: ++seq });
}
function taker(partial: Partial<IncomingOrder> & Pick<IncomingOrder, 'side' | 'quantity'>): IncomingOrder {
  return { id: `t${++seq}`, userId: 'taker', price: null, timeInForce: 'GTC', postOnly: false, seq, ...partial };
}
function run(book: OrderBook, order: IncomingOrder, stp: SelfTradePrevention = 'reject') {
  const result = matchOrder(book, order, stp);
  applyMatch(book, order, result);
  return result;
}

describe('order book', () => {
  it('keeps levels in price order with the best price first in depth()', () => {
    const book = createOrderBook('X');
    rest(book, 'a', 'u', 'buy', 100n, 1n);
    rest(book, 'b', 'u', 'buy', 102n, 2n);
    rest(book, 'c', 'u', 'buy', 101n, 3n);
    rest(book, 'd', 'u', 'sell', 105n, 1n);
    rest(book, 'e', 'u', 'sell', 103n, 1n);
    expect(depth(book, 'buy').map((l) => l.price)).toEqual([102n, 101n, 100n]);
    expect(depth(book, 'sell').map((l) => l.price)).toEqual([103n, 105n]);
    expect(bestPrice(book, 'buy')).toBe(102n);
    expect(bestPrice(book, 'sell')).toBe(103n);
    expect(openQuantity(book, 'u')).toEqual({ buy: 6n, sell: 2n });
  });

  it('removes an order from the middle of a level without breaking FIFO, and drops empty levels', () => {
    const book = createOrderBook('X');
    for (const id of ['a', 'b', 'c']) rest(book, id, 'u', 'sell', 100n, 1n);
    expect(removeResting(book, 'b')?.id).toBe('b');
    const level = sideOf(book, 'sell').byPrice.get(100n)!;
    expect(levelOrders(level).map((o) => o.id)).toEqual(['a', 'c']);
    removeResting(book, 'a');
    removeResting(book, 'c');
    expect(depth(book, 'sell')).toEqual([]);
    expect(removeResting(book, 'a')).toBeUndefined();
  });

  it('compacts long queues and keeps order ids findable', () => {
    const book = createOrderBook('X');
    for (let i = 0; i < 100; i++) rest(book, `o${i}`, `u${i}`, 'sell', 100n, 1n);
    run(book, taker({ side: 'buy', quantity: 70n, price: 100n, timeInForce: 'IOC' }));
    expect(removeResting(book, 'o99')?.id).toBe('o99');
    const level = sideOf(book, 'sell').byPrice.get(100n)!;
    expect(levelOrders(level).map((o) => o.id)).toEqual(Array.from({ length: 29 }, (_, i) => `o${i + 70}`));
  });

  it('refuses a duplicate id and a non-positive quantity', () => {
    const book = createOrderBook('X');
    rest(book, 'a', 'u', 'buy', 1n, 1n);
    expect(() => rest(book, 'a', 'u', 'buy', 1n, 1n)).toThrow(TypeError);
    expect(() => rest(book, 'b', 'u', 'buy', 1n, 0n)).toThrow(TypeError);
  });
});

describe('matching', () => {
  it('fills best price first, then in arrival order within a level, at the maker price', () => {
    const book = createOrderBook('X');
    rest(book, 'late', 'm1', 'sell', 100n, 5n);
    rest(book, 'cheap', 'm2', 'sell', 99n, 2n);
    rest(book, 'later', 'm3', 'sell', 100n, 5n);
    const result = run(book, taker({ side: 'buy', price: 100n, quantity: 8n }));
    expect(result.kind).toBe('executed');
    if (result.kind !== 'executed') return;
    expect(result.fills.map((f) => [f.makerId, f.price, f.quantity])).toEqual([['cheap', 99n, 2n], ['late', 100n, 5n], ['later', 100n, 1n]]);
    expect(result.status).toBe('filled');
    expect(depth(book, 'sell')).toEqual([{ price: 100n, quantity: 4n, orders: 1 }]);
  });

  it('never fills beyond the limit; a GTC remainder rests at the limit', () => {
    const book = createOrderBook('X');
    rest(book, 'a', 'm', 'sell', 101n, 3n);
    rest(book, 'b', 'm', 'sell', 102n, 3n);
    const result = run(book, taker({ id: 't', side: 'buy', price: 101n, quantity: 5n }));
    expect(result).toMatchObject({ kind: 'executed', filled: 3n, rest: 2n, status: 'partially_filled' });
    expect(depth(book, 'buy')).toEqual([{ price: 101n, quantity: 2n, orders: 1 }]);
  });

  it('IOC: fills what it can and expires the rest', () => {
    const book = createOrderBook('X');
    rest(book, 'a', 'm', 'buy', 50n, 2n);
    const result = run(book, taker({ side: 'sell', price: 50n, quantity: 5n, timeInForce: 'IOC' }));
    expect(result).toMatchObject({ kind: 'executed', filled: 2n, rest: 0n, status: 'expired' });
    expect(depth(book, 'sell')).toEqual([]);
  });

  it('FOK: all or nothing, with no effect on the book when it cannot fill', () => {
    const book = createOrderBook('X');
    rest(book, 'a', 'm', 'sell', 10n, 2n);
    rest(book, 'b', 'm', 'sell', 11n, 2n);
    const killed = run(book, taker({ side: 'buy', price: 11n, quantity: 5n, timeInForce: 'FOK' }));
    expect(killed).toMatchObject({ kind: 'executed', filled: 0n, fills: [], status: 'expired' });
    expect(depth(book, 'sell').map((l) => l.quantity)).toEqual([2n, 2n]);
    const filled = run(book, taker({ side: 'buy', price: 11n, quantity: 4n, timeInForce: 'FOK' }));
    expect(filled).toMatchObject({ kind: 'executed', filled: 4n, status: 'filled' });
    expect(depth(book, 'sell')).toEqual([]);
  });

  it('market orders (no limit) sweep levels and never rest', () => {
    const book = createOrderBook('X');
    rest(book, 'a', 'm', 'sell', 10n, 1n);
    rest(book, 'b', 'm', 'sell', 20n, 1n);
    const result = run(book, taker({ side: 'buy', quantity: 3n, timeInForce: 'IOC' }));
    expect(result).toMatchObject({ kind: 'executed', filled: 2n, rest: 0n, status: 'expired' });
    expect(depth(book, 'buy')).toEqual([]);
  });

  it('post-only: rejected when it would take, rests when it would not', () => {
    const book = createOrderBook('X');
    rest(book, 'a', 'm', 'sell', 10n, 1n);
    expect(matchOrder(book, taker({ side: 'buy', price: 10n, quantity: 1n, postOnly: true }), 'reject')).toEqual({ kind: 'rejected', reason: 'post-only' });
    expect(wouldTake(book, 'buy', 10n)).toBe(true);
    expect(wouldTake(book, 'buy', 9n)).toBe(false);
    const result = run(book, taker({ side: 'buy', price: 9n, quantity: 1n, postOnly: true }));
    expect(result).toMatchObject({ kind: 'executed', status: 'open', rest: 1n });
  });

  it('self-trade prevention "reject" refuses the taker and changes nothing', () => {
    const book = createOrderBook('X');
    rest(book, 'other', 'm', 'sell', 10n, 1n);
    rest(book, 'own', 'taker', 'sell', 10n, 1n);
    const order = taker({ side: 'buy', price: 10n, quantity: 2n });
    expect(wouldSelfTrade(book, order)).toBe(true);
    expect(wouldSelfTrade(book, { ...order, quantity: 1n })).toBe(false);
    expect(run(book, order)).toEqual({ kind: 'rejected', reason: 'self-trade' });
    expect(depth(book, 'sell')).toEqual([{ price: 10n, quantity: 2n, orders: 2 }]);
  });

  it('self-trade prevention "cancel-resting" cancels the own resting order and trades on', () => {
    const book = createOrderBook('X');
    rest(book, 'own', 'taker', 'sell', 10n, 1n);
    rest(book, 'other', 'm', 'sell', 10n, 1n);
    const result = run(book, taker({ side: 'buy', price: 10n, quantity: 1n }), 'cancel-resting');
    expect(result).toMatchObject({ kind: 'executed', filled: 1n, status: 'filled' });
    if (result.kind === 'executed') expect(result.cancelled.map((o) => o.id)).toEqual(['own']);
    expect(depth(book, 'sell')).toEqual([]);
    expect(openQuantity(book, 'taker')).toEqual({ buy: 0n, sell: 0n });
  });

  it('does not mutate the book in matchOrder (the outcome is applied only after the commit)', () => {
    const book = createOrderBook('X');
    rest(book, 'a', 'm', 'sell', 10n, 3n);
    const result = matchOrder(book, taker({ side: 'buy', price: 10n, quantity: 2n }), 'reject');
    expect(result.kind).toBe('executed');
    expect(depth(book, 'sell')).toEqual([{ price: 10n, quantity: 3n, orders: 1 }]);
  });
});
