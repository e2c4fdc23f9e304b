/**
 * Orders and fills in the database. Status changes of resting orders are guarded on their
 * current state (`WHERE status IN open/partially_filled`), so a second writer — which fencing
 * already prevents — could still never fill or cancel the same order twice.
 */
import type { Selectable } from 'kysely';
import { prepared, preparedInsert } from '../../../lib/db/prepared.js';
import type { TradingFillsTable, TradingOrdersTable } from '../../../lib/db/schema.js';
import type { Executor } from '../ledger/accounts.js';
import type { OrderStatus } from '../matching/engine.js';

export type OrderRow = Selectable<TradingOrdersTable>;
export type FillRow = Selectable<TradingFillsTable>;

export const OPEN_STATUSES: readonly OrderStatus[] = ['open', 'partially_filled'];

/** A write that should have touched exactly one row did not: the book and the database disagree. */
export class OrderStateError extends Error {
  constructor(orderId: string) {
    super(`order ${orderId} was not in the expected state`);
    this.name = 'OrderStateError';
  }
}

// The statements of every order are built once (lib/db/prepared.ts).
const ORDER_COLUMNS = ['id', 'user_id', 'symbol', 'client_order_id', 'side', 'type', 'time_in_force', 'post_only', 'price', 'quantity',
  'filled_quantity', 'reserved', 'status', 'seq', 'cancel_reason', 'created_at', 'updated_at'] as const satisfies readonly (keyof OrderRow)[];
const insertOrderUnlessDuplicate = preparedInsert<'trading_orders', OrderRow>('trading_orders', ORDER_COLUMNS,
  (insert) => insert.onConflict((oc) => oc.columns(['user_id', 'client_order_id']).doNothing()));
const updateMakerGuarded = prepared((db, orderId: string, quantity: bigint, reserved: bigint, status: OrderStatus, now: bigint) =>
  db.updateTable('trading_orders')
    .set((eb) => ({ filled_quantity: eb('filled_quantity', '+', quantity), reserved, status, updated_at: now }))
    .where('id', '=', orderId).where('status', 'in', [...OPEN_STATUSES]));
const cancelGuarded = prepared((db, orderId: string, reason: string, now: bigint) =>
  db.updateTable('trading_orders').set({ status: 'cancelled', reserved: 0n, cancel_reason: reason, updated_at: now })
    .where('id', '=', orderId).where('status', 'in', [...OPEN_STATUSES]));
const FILL_COLUMNS = ['id', 'symbol', 'taker_order_id', 'maker_order_id', 'taker_user_id', 'maker_user_id', 'taker_side', 'price', 'quantity',
  'quote_amount', 'created_at'] as const satisfies readonly (keyof FillRow)[];
const insertFillRows = preparedInsert<'trading_fills', FillRow>('trading_fills', FILL_COLUMNS);

/**
 * Inserts the order unless its `(user, clientOrderId)` exists (the unique index decides, also
 * across symbols and replicas). Returns false for a duplicate: a conflict that does not abort
 * the transaction, so the commands batched with it (orders/worker.ts) go on, on PostgreSQL too.
 */
export async function insertOrder(db: Executor, row: OrderRow): Promise<boolean> {
  return (await insertOrderUnlessDuplicate(db, [row])).numAffectedRows === 1n;
}

/** Records a fill on a resting order: new filled quantity, remaining reservation and status. */
export async function updateMaker(db: Executor, orderId: string, fill: { quantity: bigint; reserved: bigint; done: boolean }, now: bigint): Promise<void> {
  const result = await updateMakerGuarded(db, orderId, fill.quantity, fill.reserved, fill.done ? 'filled' : 'partially_filled', now);
  if (result.numAffectedRows !== 1n) throw new OrderStateError(orderId);
}

export async function markCancelled(db: Executor, orderId: string, reason: string, now: bigint): Promise<void> {
  const result = await cancelGuarded(db, orderId, reason, now);
  if (result.numAffectedRows !== 1n) throw new OrderStateError(orderId);
}

export async function insertFills(db: Executor, rows: readonly FillRow[]): Promise<void> {
  if (rows.length > 0) await insertFillRows(db, rows);
}

export async function findOrder(db: Executor, orderId: string): Promise<OrderRow | undefined> {
  return db.selectFrom('trading_orders').selectAll().where('id', '=', orderId).executeTakeFirst();
}

export async function openOrdersOfSymbol(db: Executor, symbol: string, userId?: string): Promise<OrderRow[]> {
  return db.selectFrom('trading_orders').selectAll().where('symbol', '=', symbol).where('status', 'in', [...OPEN_STATUSES])
    .$if(userId !== undefined, (q) => q.where('user_id', '=', userId as string)).orderBy('seq').execute();
}

export async function lastSeq(db: Executor, symbol: string): Promise<bigint> {
  const row = await db.selectFrom('trading_orders').select((eb) => eb.fn.max('seq').as('seq')).where('symbol', '=', symbol).executeTakeFirst();
  return row?.seq === null || row?.seq === undefined ? 0n : BigInt(row.seq);
}

export async function listOrders(db: Executor, userId: string, filter: { open?: boolean; symbol?: string; limit: number }): Promise<OrderRow[]> {
  return db.selectFrom('trading_orders').selectAll().where('user_id', '=', userId)
    .$if(filter.open === true, (q) => q.where('status', 'in', [...OPEN_STATUSES]))
    .$if(filter.open === false, (q) => q.where('status', 'not in', [...OPEN_STATUSES]))
    .$if(filter.symbol !== undefined, (q) => q.where('symbol', '=', filter.symbol as string))
    .orderBy('created_at', 'desc').orderBy('seq', 'desc').limit(filter.limit).execute();
}

export async function fillsOfOrder(db: Executor, orderId: string): Promise<FillRow[]> {
  return db.selectFrom('trading_fills').selectAll()
    .where((eb) => eb.or([eb('taker_order_id', '=', orderId), eb('maker_order_id', '=', orderId)]))
    .orderBy('created_at').orderBy('id').execute();
}

/** Unique-constraint violation on either dialect (SQLite SQLITE_CONSTRAINT_UNIQUE, PostgreSQL 23505). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
