/**
 * Price-time-priority matching (SPEC §5): limit and market orders, GTC/IOC/FOK, post-only and
 * self-trade prevention, on integer ticks and lots.
 *
 * `matchOrder` is pure: it reads the book and returns what WOULD happen (fills, own orders to
 * cancel, what rests) without touching it. The caller records that outcome in the database and
 * only after the commit calls `applyMatch`, so a failed transaction leaves the book as it was.
 *
 * Invariants (property-tested in engine.property.test.ts): a fill never happens at a price worse
 * than the taker's limit; fills take levels best first and, within a level, orders in arrival
 * order; the taker never trades with its own account; filled + rest ≤ quantity.
 */
import { addResting, levelOrders, reduceResting, removeResting, sideOf, type Level, type OrderBook, type RestingOrder, type Side } from './book.js';

export type TimeInForce = 'GTC' | 'IOC' | 'FOK';
/** `reject`: refuse the incoming order (RISK_SELF_TRADE); `cancel-resting`: cancel the own resting order and go on. */
export type SelfTradePrevention = 'reject' | 'cancel-resting';

export interface IncomingOrder {
  readonly id: string;
  readonly userId: string;
  readonly side: Side;
  /** Limit price; for market orders the protection price (band edge). Null: no limit (engine tests only). */
  readonly price: bigint | null;
  readonly quantity: bigint;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  readonly seq: bigint;
}

export interface Fill {
  readonly makerId: string;
  readonly makerUserId: string;
  readonly price: bigint;
  readonly quantity: bigint;
  /** The maker's open quantity after this fill. */
  readonly makerRemaining: bigint;
}

export type OrderStatus = 'open' | 'partially_filled' | 'filled' | 'cancelled' | 'expired';

export type MatchResult =
  | { readonly kind: 'rejected'; readonly reason: 'self-trade' | 'post-only' }
  | {
      readonly kind: 'executed';
      readonly fills: readonly Fill[];
      readonly filled: bigint;
      /** Own resting orders cancelled by self-trade prevention (cancel-resting). */
      readonly cancelled: readonly RestingOrder[];
      /** Quantity that rests on the book (GTC limit remainder); 0 otherwise. */
      readonly rest: bigint;
      readonly status: OrderStatus;
    };

const crosses = (taker: IncomingOrder, price: bigint): boolean =>
  taker.price === null || (taker.side === 'buy' ? price <= taker.price : price >= taker.price);

/** Computes the outcome of `taker` against `book` without changing the book. */
export function matchOrder(book: OrderBook, taker: IncomingOrder, stp: SelfTradePrevention): MatchResult {
  if (taker.quantity <= 0n) throw new TypeError('order quantity must be positive');
  const levels = sideOf(book, taker.side === 'buy' ? 'sell' : 'buy').levels;
  const fills: Fill[] = [];
  const cancelled: RestingOrder[] = [];
  let remaining = taker.quantity;
  for (let i = levels.length - 1; i >= 0 && remaining > 0n; i--) {
    const level = levels[i] as Level;
    if (!crosses(taker, level.price)) break;
    if (taker.postOnly) return { kind: 'rejected', reason: 'post-only' };
    const queue = level.queue;
    for (let j = level.head; j < queue.length && remaining > 0n; j++) {
      const maker = queue[j];
      if (!maker) continue;
      if (maker.userId === taker.userId) {
        if (stp === 'reject') return { kind: 'rejected', reason: 'self-trade' };
        cancelled.push(maker);
        continue;
      }
      const quantity = remaining < maker.remaining ? remaining : maker.remaining;
      remaining -= quantity;
      fills.push({ makerId: maker.id, makerUserId: maker.userId, price: level.price, quantity, makerRemaining: maker.remaining - quantity });
    }
  }
  const filled = taker.quantity - remaining;
  // Fill-or-kill: all or nothing, and nothing else happens either (no STP cancels).
  if (taker.timeInForce === 'FOK' && remaining > 0n) {
    return { kind: 'executed', fills: [], filled: 0n, cancelled: [], rest: 0n, status: 'expired' };
  }
  const rests = taker.timeInForce === 'GTC' && taker.price !== null && remaining > 0n;
  const status: OrderStatus = remaining === 0n ? 'filled' : rests ? (filled > 0n ? 'partially_filled' : 'open') : 'expired';
  return { kind: 'executed', fills, filled, cancelled, rest: rests ? remaining : 0n, status };
}

/** Applies a committed outcome to the book (the single writer calls this after the commit). */
export function applyMatch(book: OrderBook, taker: IncomingOrder, result: MatchResult): void {
  if (result.kind !== 'executed') return;
  for (const fill of result.fills) reduceResting(book, fill.makerId, fill.quantity);
  for (const order of result.cancelled) removeResting(book, order.id);
  if (result.rest > 0n) {
    addResting(book, { id: taker.id, userId: taker.userId, side: taker.side, price: taker.price as bigint, remaining: result.rest, seq: taker.seq });
  }
}

/**
 * Would `taker` trade against its own account before its quantity is used up? The pure risk
 * check asks this for accounts in `reject` mode, walking exactly as `matchOrder` does.
 */
export function wouldSelfTrade(book: OrderBook, taker: Pick<IncomingOrder, 'userId' | 'side' | 'price' | 'quantity'>): boolean {
  const levels = sideOf(book, taker.side === 'buy' ? 'sell' : 'buy').levels;
  let remaining = taker.quantity;
  for (let i = levels.length - 1; i >= 0 && remaining > 0n; i--) {
    const level = levels[i] as Level;
    if (!crosses(taker as IncomingOrder, level.price)) break;
    for (const maker of levelOrders(level)) {
      if (maker.userId === taker.userId) return true;
      remaining -= remaining < maker.remaining ? remaining : maker.remaining;
      if (remaining === 0n) break;
    }
  }
  return false;
}

/** Would a post-only order at `price` take liquidity? */
export function wouldTake(book: OrderBook, side: Side, price: bigint): boolean {
  const levels = sideOf(book, side === 'buy' ? 'sell' : 'buy').levels;
  const best = levels[levels.length - 1];
  return best !== undefined && (side === 'buy' ? best.price <= price : best.price >= price);
}
