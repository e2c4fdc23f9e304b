/**
 * The in-memory limit order book of one symbol: price levels in price order, each a FIFO queue
 * (time priority = insertion order = `seq` order, also after a rebuild from the database).
 *
 * Layout: each side keeps its levels in an array sorted worst → best, so the best level is the
 * last element (O(1) to reach and to pop when it empties); a Map finds a level by price. A level
 * queue is an array with a moving head; a cancelled order in the middle leaves a hole (null)
 * that the head skips, and the queue is compacted when holes dominate. All quantities are
 * bigint base minor units and all prices bigint ticks-at-scale: no floating point.
 *
 * Only the owning symbol worker mutates a book (single writer), and only after the database
 * transaction that records the change has committed.
 */

export type Side = 'buy' | 'sell';

export interface RestingOrder {
  readonly id: string;
  readonly userId: string;
  readonly side: Side;
  readonly price: bigint;
  /** Open quantity; changed only through `reduceResting`. */
  remaining: bigint;
  readonly seq: bigint;
}

export interface Level {
  readonly price: bigint;
  readonly queue: (RestingOrder | null)[];
  head: number;
  live: number;
  total: bigint;
}

interface BookSide {
  readonly side: Side;
  /** Sorted worst → best: bids ascending, asks descending. */
  readonly levels: Level[];
  readonly byPrice: Map<bigint, Level>;
}

interface Entry {
  readonly order: RestingOrder;
  readonly level: Level;
  slot: number;
}

export interface OrderBook {
  readonly symbol: string;
  readonly bids: BookSide;
  readonly asks: BookSide;
  readonly entries: Map<string, Entry>;
  /** Open quantity per user and side, for position checks without scanning the book. */
  readonly exposure: Map<string, { buy: bigint; sell: bigint }>;
}

export function createOrderBook(symbol: string): OrderBook {
  return {
    symbol,
    bids: { side: 'buy', levels: [], byPrice: new Map() },
    asks: { side: 'sell', levels: [], byPrice: new Map() },
    entries: new Map(),
    exposure: new Map(),
  };
}

/** True when `a` is a better price than `b` for resting orders of `side`. */
export function isBetter(side: Side, a: bigint, b: bigint): boolean {
  return side === 'buy' ? a > b : a < b;
}

export function sideOf(book: OrderBook, side: Side): BookSide {
  return side === 'buy' ? book.bids : book.asks;
}

/** Index of the first level not worse than `price` (binary search over worst → best). */
function insertionIndex(side: BookSide, price: bigint): number {
  let lo = 0;
  let hi = side.levels.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isBetter(side.side, price, (side.levels[mid] as Level).price)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function adjustExposure(book: OrderBook, userId: string, side: Side, delta: bigint): void {
  let exposure = book.exposure.get(userId);
  if (!exposure) {
    exposure = { buy: 0n, sell: 0n };
    book.exposure.set(userId, exposure);
  }
  exposure[side] += delta;
  if (exposure.buy === 0n && exposure.sell === 0n) book.exposure.delete(userId);
}

/** Appends an order at the back of its price level (time priority). */
export function addResting(book: OrderBook, order: RestingOrder): void {
  if (order.remaining <= 0n) throw new TypeError('a resting order needs a positive quantity');
  if (book.entries.has(order.id)) throw new TypeError(`order ${order.id} is already on the book`);
  const side = sideOf(book, order.side);
  let level = side.byPrice.get(order.price);
  if (!level) {
    level = { price: order.price, queue: [], head: 0, live: 0, total: 0n };
    side.levels.splice(insertionIndex(side, order.price), 0, level);
    side.byPrice.set(order.price, level);
  }
  book.entries.set(order.id, { order, level, slot: level.queue.length });
  level.queue.push(order);
  level.live++;
  level.total += order.remaining;
  adjustExposure(book, order.userId, order.side, order.remaining);
}

/** Reduces an order's open quantity (a fill); removes it at zero. */
export function reduceResting(book: OrderBook, orderId: string, quantity: bigint): void {
  const entry = book.entries.get(orderId);
  if (!entry) throw new TypeError(`order ${orderId} is not on the book`);
  if (quantity <= 0n || quantity > entry.order.remaining) throw new TypeError('fill quantity out of range');
  entry.order.remaining -= quantity;
  entry.level.total -= quantity;
  adjustExposure(book, entry.order.userId, entry.order.side, -quantity);
  if (entry.order.remaining === 0n) detach(book, entry);
}

/** Removes an order (cancel); returns it, or undefined when it is not on the book. */
export function removeResting(book: OrderBook, orderId: string): RestingOrder | undefined {
  const entry = book.entries.get(orderId);
  if (!entry) return undefined;
  entry.level.total -= entry.order.remaining;
  adjustExposure(book, entry.order.userId, entry.order.side, -entry.order.remaining);
  detach(book, entry);
  return entry.order;
}

function detach(book: OrderBook, entry: Entry): void {
  const { level } = entry;
  book.entries.delete(entry.order.id);
  level.queue[entry.slot] = null;
  level.live--;
  while (level.head < level.queue.length && level.queue[level.head] === null) level.head++;
  if (level.live === 0) {
    const side = sideOf(book, entry.order.side);
    side.byPrice.delete(level.price);
    const levels = side.levels;
    if (levels[levels.length - 1] === level) levels.pop();
    else levels.splice(levels.indexOf(level), 1);
  } else if (level.head > 32 && level.head * 2 > level.queue.length) {
    compact(book, level);
  }
}

/** Drops the consumed prefix and holes of a queue, keeping FIFO order. */
function compact(book: OrderBook, level: Level): void {
  const kept = level.queue.filter((o): o is RestingOrder => o !== null);
  level.queue.length = 0;
  kept.forEach((order, slot) => {
    level.queue.push(order);
    (book.entries.get(order.id) as Entry).slot = slot;
  });
  level.head = 0;
}

/** Best price of a side, or null when it is empty. */
export function bestPrice(book: OrderBook, side: Side): bigint | null {
  const levels = sideOf(book, side).levels;
  return levels.length === 0 ? null : (levels[levels.length - 1] as Level).price;
}

/** Live orders of a level in time priority. */
export function levelOrders(level: Level): RestingOrder[] {
  return level.queue.slice(level.head).filter((o): o is RestingOrder => o !== null);
}

/** Aggregated depth, best first: [{price, quantity, orders}]. */
export function depth(book: OrderBook, side: Side, maxLevels = Infinity): { price: bigint; quantity: bigint; orders: number }[] {
  const levels = sideOf(book, side).levels;
  const out: { price: bigint; quantity: bigint; orders: number }[] = [];
  for (let i = levels.length - 1; i >= 0 && out.length < maxLevels; i--) {
    const level = levels[i] as Level;
    out.push({ price: level.price, quantity: level.total, orders: level.live });
  }
  return out;
}

export function openQuantity(book: OrderBook, userId: string): { buy: bigint; sell: bigint } {
  const exposure = book.exposure.get(userId);
  return exposure ? { buy: exposure.buy, sell: exposure.sell } : { buy: 0n, sell: 0n };
}

export function restingOrder(book: OrderBook, orderId: string): RestingOrder | undefined {
  return book.entries.get(orderId)?.order;
}
