/**
 * What a match does to accounts, as pure data: balance deltas (total and reserved, per account
 * and asset), position deltas and journal lines. The order service writes exactly these rows
 * in the transaction that records the match; the property tests apply the same deltas to an
 * in-memory ledger. Because every notional is exact (instrument invariant), the quote a buyer
 * pays equals the quote the seller receives: each fill's journal lines sum to zero per asset.
 *
 * Reservation rule: an open buy holds notional(limit, open quantity) of the quote asset, an open
 * sell holds its open quantity of the base asset; nothing else is ever reserved by trading.
 */
import { notional, type Instrument } from '../instruments/instrument.js';
import type { Side } from '../matching/book.js';
import type { Fill, MatchResult } from '../matching/engine.js';

export interface BalanceDelta {
  readonly userId: string;
  readonly asset: string;
  readonly total: bigint;
  readonly reserved: bigint;
}

export interface JournalLine {
  readonly userId: string;
  readonly asset: string;
  readonly amount: bigint;
  /** Index into the fills of the match. */
  readonly fill: number;
}

export interface Settlement {
  /** One entry per (account, asset), sorted by account then asset (a fixed lock order). */
  readonly balances: readonly BalanceDelta[];
  readonly positions: readonly { userId: string; quantity: bigint }[];
  readonly journal: readonly JournalLine[];
}

/** The asset and amount an open order of this side, price and quantity holds. */
export function reservationOf(instrument: Instrument, side: Side, price: bigint, quantity: bigint): { asset: string; amount: bigint } {
  return side === 'buy'
    ? { asset: instrument.quote, amount: notional(instrument, price, quantity) }
    : { asset: instrument.base, amount: quantity };
}

/**
 * Settles an executed match. `taker.price` is the limit (or a market order's protection price)
 * that its rest, if any, is reserved at; makers' prices come from the fills and `cancelled`.
 */
export function settleMatch(
  instrument: Instrument,
  taker: { userId: string; side: Side; price: bigint | null },
  result: Extract<MatchResult, { kind: 'executed' }>,
): Settlement {
  const balances = new Map<string, { userId: string; asset: string; total: bigint; reserved: bigint }>();
  const add = (userId: string, asset: string, total: bigint, reserved: bigint) => {
    const key = `${userId}\u0000${asset}`;
    const current = balances.get(key);
    if (current) {
      current.total += total;
      current.reserved += reserved;
    } else balances.set(key, { userId, asset, total, reserved });
  };
  const positions = new Map<string, bigint>();
  const move = (userId: string, quantity: bigint) => positions.set(userId, (positions.get(userId) ?? 0n) + quantity);
  const journal: JournalLine[] = [];
  const { base, quote } = instrument;

  result.fills.forEach((fill: Fill, index) => {
    const value = notional(instrument, fill.price, fill.quantity);
    const buyer = taker.side === 'buy' ? taker.userId : fill.makerUserId;
    const seller = taker.side === 'buy' ? fill.makerUserId : taker.userId;
    // Maker side: the fill consumes exactly what its reservation held for this quantity.
    const makerReleases = taker.side === 'buy' ? { asset: base, amount: fill.quantity } : { asset: quote, amount: value };
    add(fill.makerUserId, makerReleases.asset, 0n, -makerReleases.amount);
    add(buyer, quote, -value, 0n);
    add(buyer, base, fill.quantity, 0n);
    add(seller, base, -fill.quantity, 0n);
    add(seller, quote, value, 0n);
    move(buyer, fill.quantity);
    move(seller, -fill.quantity);
    journal.push(
      { userId: buyer, asset: quote, amount: -value, fill: index },
      { userId: buyer, asset: base, amount: fill.quantity, fill: index },
      { userId: seller, asset: base, amount: -fill.quantity, fill: index },
      { userId: seller, asset: quote, amount: value, fill: index },
    );
  });
  for (const order of result.cancelled) {
    const held = reservationOf(instrument, order.side, order.price, order.remaining);
    add(order.userId, held.asset, 0n, -held.amount);
  }
  if (result.rest > 0n) {
    const held = reservationOf(instrument, taker.side, taker.price as bigint, result.rest);
    add(taker.userId, held.asset, 0n, held.amount);
  }
  const sorted = [...balances.values()]
    .filter((d) => d.total !== 0n || d.reserved !== 0n)
    .sort((a, b) => (a.userId === b.userId ? (a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0) : a.userId < b.userId ? -1 : 1));
  return {
    balances: sorted,
    positions: [...positions].filter(([, q]) => q !== 0n).map(([userId, quantity]) => ({ userId, quantity })),
    journal,
  };
}
