/**
 * The single writer of one symbol: it owns the in-memory book and runs commands one at a time
 * (a promise queue), each in its own database transaction. The book changes only after the
 * transaction committed; if a transaction fails in a way that leaves its outcome unknown, the
 * book is rebuilt from the database before the next command. `openSymbolWorker` rebuilds the
 * book from the open orders in `seq` order (time priority survives restarts) and re-applies
 * engaged kill switches.
 */
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Clock } from '../../../lib/clock/index.js';
import type { Database } from '../../../lib/db/index.js';
import type { Tables } from '../../../lib/db/schema.js';
import type { ReferencePriceSource } from '../../../lib/pricing/index.js';
import type { Instrument } from '../instruments/instrument.js';
import { engagedSwitches } from '../killswitch/store.js';
import { applyBalanceDeltas } from '../ledger/accounts.js';
import { addResting, createOrderBook, removeResting, type OrderBook, type Side } from '../matching/book.js';
import { applyMatch } from '../matching/engine.js';
import { toReferencePrice } from '../risk/band.js';
import type { LimitDefaults } from '../risk/limits-store.js';
import type { CancelCommand, CancelWhereCommand, Command, CommandResult, PlaceCommand } from './commands.js';
import { placeInTransaction, Rejection } from './place.js';
import { findOrder, lastSeq, markCancelled, OPEN_STATUSES, openOrdersOfSymbol, type OrderRow } from './repository.js';
import { orderView } from './view.js';

/** Proves, inside a transaction, that this writer still owns the symbol (ownership/leases.ts). */
export interface Fence {
  check(trx: Transaction<Tables>): Promise<void>;
}

export interface WorkerDeps {
  readonly db: Database;
  readonly instrument: Instrument;
  readonly clock: Clock;
  readonly reference: ReferencePriceSource;
  readonly limitDefaults: LimitDefaults;
  readonly fence: Fence | null;
  /** Called for every refused command (security event, metric). */
  readonly onReject: (command: Command, code: string, reason: string) => void;
}

export interface SymbolWorker {
  readonly symbol: string;
  execute(command: Command): Promise<CommandResult>;
  /** Read-only view for tests and diagnostics. */
  readonly book: () => OrderBook;
}

const RETRYABLE = new Set(['40P01', '40001']); // PostgreSQL deadlock / serialization failure

export async function openSymbolWorker(deps: WorkerDeps): Promise<SymbolWorker> {
  const { db, instrument } = deps;
  let book = createOrderBook(instrument.symbol);
  let nextSeq = 1n;
  let dirty = true;
  let tail: Promise<unknown> = Promise.resolve();

  async function rebuild(): Promise<void> {
    book = createOrderBook(instrument.symbol);
    for (const row of await openOrdersOfSymbol(db.kysely, instrument.symbol)) {
      addResting(book, { id: row.id, userId: row.user_id, side: row.side as Side, price: row.price as bigint, remaining: row.quantity - row.filled_quantity, seq: row.seq });
    }
    nextSeq = (await lastSeq(db.kysely, instrument.symbol)) + 1n;
    dirty = false;
  }

  async function transact<T>(fn: (trx: Transaction<Tables>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.kysely.transaction().execute(async (trx) => {
          await deps.fence?.check(trx);
          return fn(trx);
        });
      } catch (error) {
        if (error instanceof Rejection) throw error;
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && RETRYABLE.has(code) && attempt < 3) continue;
        // The commit may or may not have happened: trust only the database from here on.
        dirty = true;
        throw error;
      }
    }
  }

  async function place(cmd: PlaceCommand): Promise<CommandResult> {
    const reference = toReferencePrice(await deps.reference.quote(instrument.symbol));
    const now = BigInt(deps.clock.now());
    const placement = await transact((trx) => placeInTransaction({
      trx, instrument, book, reference, limitDefaults: deps.limitDefaults, lock: db.dialect === 'postgres', orderId: randomUUID(), seq: nextSeq, now,
    }, cmd));
    applyMatch(book, placement.taker, placement.result);
    nextSeq = placement.taker.seq + 1n;
    return { ok: true, order: orderView(instrument, placement.row, placement.fills) };
  }

  /** Cancels rows (already read in `trx`) and releases their reservations. */
  async function cancelRows(trx: Transaction<Tables>, rows: readonly OrderRow[], reason: string, now: bigint): Promise<void> {
    const release = new Map<string, { userId: string; asset: string; total: bigint; reserved: bigint }>();
    for (const row of rows) {
      await markCancelled(trx, row.id, reason, now);
      const asset = row.side === 'buy' ? instrument.quote : instrument.base;
      const key = `${row.user_id}\u0000${asset}`;
      const entry = release.get(key) ?? { userId: row.user_id, asset, total: 0n, reserved: 0n };
      entry.reserved -= row.reserved;
      release.set(key, entry);
    }
    const sorted = [...release.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);
    await applyBalanceDeltas(trx, sorted, now);
  }

  async function cancel(cmd: CancelCommand): Promise<CommandResult> {
    const now = BigInt(deps.clock.now());
    const row = await transact(async (trx) => {
      const found = await findOrder(trx, cmd.orderId);
      if (!found || found.user_id !== cmd.userId || found.symbol !== instrument.symbol) throw new Rejection('NOT_FOUND', 'order not found');
      if (!OPEN_STATUSES.includes(found.status as never)) throw new Rejection('ORDER_NOT_OPEN', `order is ${found.status}`);
      await cancelRows(trx, [found], 'user', now);
      return { ...found, status: 'cancelled', reserved: 0n, cancel_reason: 'user', updated_at: now };
    });
    removeResting(book, row.id);
    return { ok: true, order: orderView(instrument, row, []) };
  }

  async function cancelWhere(cmd: CancelWhereCommand): Promise<CommandResult> {
    const now = BigInt(deps.clock.now());
    const rows = await transact(async (trx) => {
      const open = await openOrdersOfSymbol(trx, instrument.symbol, cmd.userId ?? undefined);
      await cancelRows(trx, open, cmd.reason, now);
      return open;
    });
    for (const row of rows) removeResting(book, row.id);
    return { ok: true, cancelled: rows.length };
  }

  async function run(command: Command): Promise<CommandResult> {
    if (dirty) await rebuild();
    try {
      if (command.op === 'place') return await place(command);
      if (command.op === 'cancel') return await cancel(command);
      return await cancelWhere(command);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      deps.onReject(command, error.code, error.reason);
      return { ok: false, code: error.code, reason: error.reason };
    }
  }

  const worker: SymbolWorker = {
    symbol: instrument.symbol,
    execute(command) {
      const result = tail.then(() => run(command));
      tail = result.catch(() => undefined);
      return result;
    },
    book: () => book,
  };
  await rebuild();
  // Switches engaged while no one owned this book still cancel its resting orders.
  for (const s of await engagedSwitches(db.kysely)) {
    if (s.scope === 'user' && !book.exposure.has(s.target)) continue;
    if (s.scope === 'symbol' && s.target !== instrument.symbol) continue;
    await worker.execute({ op: 'cancel-where', symbol: instrument.symbol, userId: s.scope === 'user' ? s.target : null, reason: 'kill-switch', ctx: { actor: 'system', ip: null, requestId: null } });
  }
  return worker;
}
