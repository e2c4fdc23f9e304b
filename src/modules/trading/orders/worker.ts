/**
 * The single writer of one symbol: it owns the in-memory book and runs commands in order.
 *
 * Group commit: commands that queue up while a transaction runs are executed together, in
 * arrival order, in ONE database transaction (at most MAX_BATCH). Each command sees the writes
 * and the book changes of the commands before it. A command is answered only after the
 * transaction that holds its writes committed, so "acknowledged" still means "committed", and a
 * crash loses only unanswered commands. Expected refusals (`Rejection`) are raised before a
 * command writes anything, so they need no savepoint; any other error rolls the whole batch
 * back, fails that one command and puts the others back at the head of the queue. Fills,
 * journal lines and position changes of the batch are written together after its last command
 * (orders/batch-writes.ts).
 *
 * The book is changed as each command succeeds inside the transaction; if the transaction does
 * not commit (or its outcome is unknown, e.g. the connection died during COMMIT) the book is
 * rebuilt from the database before the next batch. `openSymbolWorker` rebuilds the book from the
 * open orders in `seq` order (time priority survives restarts) and re-applies engaged kill
 * switches.
 */
import type { Transaction } from 'kysely';
import type { Clock } from '../../../lib/clock/index.js';
import type { Database } from '../../../lib/db/index.js';
import type { Tables } from '../../../lib/db/schema.js';
import { orderedId } from '../../../lib/ids/ordered-id.js';
import type { ReferencePriceSource } from '../../../lib/pricing/index.js';
import type { Instrument, InstrumentStatus } from '../instruments/instrument.js';
import { instrumentStatus } from '../instruments/registry.js';
import { engagedForSymbol, type EngagedSwitches } from '../killswitch/store.js';
import { engagedSwitches } from '../killswitch/store.js';
import { applyBalanceDeltas } from '../ledger/accounts.js';
import { addResting, createOrderBook, removeResting, type OrderBook, type Side } from '../matching/book.js';
import { applyMatch } from '../matching/engine.js';
import { toReferencePrice } from '../risk/band.js';
import type { ReferencePrice } from '../risk/types.js';
import type { LimitDefaults } from '../risk/limits-store.js';
import type { CancelCommand, CancelWhereCommand, Command, CommandResult, PlaceCommand } from './commands.js';
import { createBatchWrites, flushBatchWrites, type BatchWrites } from './batch-writes.js';
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
  /** Most commands per transaction (group commit); default MAX_BATCH. */
  readonly maxBatch?: number;
}

export interface SymbolWorker {
  readonly symbol: string;
  execute(command: Command): Promise<CommandResult>;
  /** Read-only view for tests and diagnostics. */
  readonly book: () => OrderBook;
}

/** Bounds the work (and the answers) that wait on one COMMIT. */
export const MAX_BATCH = 64;
const RETRYABLE = new Set(['40P01', '40001']); // PostgreSQL deadlock / serialization failure
const MAX_ATTEMPTS = 3;

/** What every order of a batch is checked against. */
interface Market {
  readonly reference: ReferencePrice;
  readonly status: InstrumentStatus;
  readonly killSwitches: EngagedSwitches;
}

interface Pending {
  readonly command: Command;
  resolve(result: CommandResult): void;
  reject(error: unknown): void;
}

/** An unexpected error of one command inside a batch: that command fails, the batch rolls back. */
class CommandFailure extends Error {
  constructor(readonly index: number, readonly error: unknown) {
    super('command failed inside a batch');
  }
}

const isRetryable = (error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
};

export async function openSymbolWorker(deps: WorkerDeps): Promise<SymbolWorker> {
  const { db, instrument } = deps;
  const maxBatch = deps.maxBatch ?? MAX_BATCH;
  let book = createOrderBook(instrument.symbol);
  let nextSeq = 1n;
  let dirty = true;
  const queue: Pending[] = [];
  let draining = false;

  async function rebuild(): Promise<void> {
    book = createOrderBook(instrument.symbol);
    for (const row of await openOrdersOfSymbol(db.kysely, instrument.symbol)) {
      addResting(book, { id: row.id, userId: row.user_id, side: row.side as Side, price: row.price as bigint, remaining: row.quantity - row.filled_quantity, seq: row.seq });
    }
    nextSeq = (await lastSeq(db.kysely, instrument.symbol)) + 1n;
    dirty = false;
  }

  async function place(trx: Transaction<Tables>, cmd: PlaceCommand, market: Market, writes: BatchWrites): Promise<CommandResult> {
    const placement = await placeInTransaction({
      trx, instrument, book, reference: market.reference, instrumentStatus: market.status, killSwitches: market.killSwitches, limitDefaults: deps.limitDefaults, lock: db.dialect === 'postgres', orderId: orderedId(), seq: nextSeq, now: BigInt(deps.clock.now()), writes,
    }, cmd);
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

  async function cancel(trx: Transaction<Tables>, cmd: CancelCommand): Promise<CommandResult> {
    const now = BigInt(deps.clock.now());
    const found = await findOrder(trx, cmd.orderId);
    if (!found || found.user_id !== cmd.userId || found.symbol !== instrument.symbol) throw new Rejection('NOT_FOUND', 'order not found');
    if (!OPEN_STATUSES.includes(found.status as never)) throw new Rejection('ORDER_NOT_OPEN', `order is ${found.status}`);
    await cancelRows(trx, [found], 'user', now);
    removeResting(book, found.id);
    return { ok: true, order: orderView(instrument, { ...found, status: 'cancelled', reserved: 0n, cancel_reason: 'user', updated_at: now }, []) };
  }

  async function cancelWhere(trx: Transaction<Tables>, cmd: CancelWhereCommand): Promise<CommandResult> {
    const open = await openOrdersOfSymbol(trx, instrument.symbol, cmd.userId ?? undefined);
    await cancelRows(trx, open, cmd.reason, BigInt(deps.clock.now()));
    for (const row of open) removeResting(book, row.id);
    return { ok: true, cancelled: open.length };
  }

  /** Runs the batch in one transaction; returns each command's result (in order) once committed. */
  async function commitBatch(batch: readonly Pending[], reference: ReferencePrice | null): Promise<CommandResult[]> {
    return db.kysely.transaction().execute(async (trx) => {
      await deps.fence?.check(trx);
      // Read once per batch, in its transaction: an admin halt or a kill switch committed before
      // it applies here, whichever replica set it.
      const market: Market | null = reference
        ? { reference, status: await instrumentStatus(trx, instrument.symbol), killSwitches: await engagedForSymbol(trx, instrument.symbol) }
        : null;
      const results: CommandResult[] = [];
      const writes = createBatchWrites();
      for (const [index, { command }] of batch.entries()) {
        try {
          if (command.op === 'place') results.push(await place(trx, command, market as Market, writes));
          else if (command.op === 'cancel') results.push(await cancel(trx, command));
          else results.push(await cancelWhere(trx, command));
        } catch (error) {
          if (!(error instanceof Rejection)) throw new CommandFailure(index, error);
          results.push({ ok: false, code: error.code, reason: error.reason });
        }
      }
      await flushBatchWrites(trx, instrument.symbol, writes, BigInt(deps.clock.now()));
      return results;
    });
  }

  async function runBatch(batch: Pending[]): Promise<void> {
    let results: CommandResult[] | undefined;
    for (let attempt = 1; results === undefined; attempt++) {
      try {
        if (dirty) await rebuild();
        // One reference quote per batch, read before the transaction (on SQLite the transaction
        // holds the only connection, so a read outside it would wait for it forever).
        const reference = batch.some((p) => p.command.op === 'place') ? toReferencePrice(await deps.reference.quote(instrument.symbol)) : null;
        results = await commitBatch(batch, reference);
      } catch (thrown) {
        // Nothing of the batch is known to be committed any more: trust only the database.
        dirty = true;
        const error = thrown instanceof CommandFailure ? thrown.error : thrown;
        if (isRetryable(error) && attempt < MAX_ATTEMPTS) continue;
        if (thrown instanceof CommandFailure) {
          // Only the failing command is answered; the others run again after a rebuild.
          batch[thrown.index]?.reject(error);
          queue.unshift(...batch.filter((_, i) => i !== thrown.index));
          return;
        }
        for (const pending of batch) pending.reject(error);
        return;
      }
    }
    for (const [index, pending] of batch.entries()) {
      const result = results[index] as CommandResult;
      try {
        if (!result.ok) deps.onReject(pending.command, result.code, result.reason);
        pending.resolve(result);
      } catch (error) {
        // A failing reporter fails its own command only, never the rest of the batch.
        pending.reject(error);
      }
    }
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) await runBatch(queue.splice(0, maxBatch));
    } finally {
      draining = false;
    }
  }

  const worker: SymbolWorker = {
    symbol: instrument.symbol,
    execute(command) {
      return new Promise<CommandResult>((resolve, reject) => {
        queue.push({ command, resolve, reject });
        if (draining) return;
        draining = true;
        // Let the requests already read from the sockets queue their commands first: they join
        // this transaction instead of each paying for its own.
        setImmediate(() => void drain());
      });
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
