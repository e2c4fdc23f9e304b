/**
 * One order through pre-trade risk and the engine, inside the symbol writer's transaction:
 * read the account state (order-context.ts; balances row-locked on PostgreSQL), evaluate risk
 * (pure), match (pure), then write the order, the makers' new state and the balance deltas, and
 * hand the fills, position deltas and journal lines to the batch (orders/batch-writes.ts:
 * written before the same COMMIT) — all or nothing. A rejection throws `Rejection` before any write, so a rejected
 * order changes no balance, reservation, order row or book.
 */
import type { Transaction } from 'kysely';
import type { Tables } from '../../../lib/db/schema.js';
import type { Instrument, InstrumentStatus } from '../instruments/instrument.js';
import type { EngagedSwitches } from '../killswitch/store.js';
import { applyBalanceDeltas, journalRows, type JournalEntry } from '../ledger/accounts.js';
import { reservationOf, settleMatch } from '../ledger/settlement.js';
import { openQuantity, restingOrder, type OrderBook } from '../matching/book.js';
import { matchOrder, type IncomingOrder, type MatchResult } from '../matching/engine.js';
import { evaluateRisk } from '../risk/evaluate.js';
import { effectiveLimits, type LimitDefaults } from '../risk/limits-store.js';
import type { OrderRequest, ReferencePrice } from '../risk/types.js';
import type { PlaceCommand, RejectCode } from './commands.js';
import { addPositionDeltas, pendingPosition, type BatchWrites } from './batch-writes.js';
import { readOrderAccountState } from './order-context.js';
import { insertOrder, markCancelled, updateMaker, type FillRow, type OrderRow } from './repository.js';

/** An expected refusal, thrown to roll the transaction back; converted to a result outside. */
export class Rejection extends Error {
  constructor(readonly code: RejectCode, readonly reason: string) {
    super(reason);
    this.name = 'Rejection';
  }
}

export interface PlacementContext {
  readonly trx: Transaction<Tables>;
  readonly instrument: Instrument;
  readonly book: OrderBook;
  readonly reference: ReferencePrice;
  /** The instrument's status as read in this transaction (an admin halt is live on every replica). */
  readonly instrumentStatus: InstrumentStatus;
  /** The kill switches as read in this transaction (engaged on any replica before it: effective). */
  readonly killSwitches: EngagedSwitches;
  readonly limitDefaults: LimitDefaults;
  /** Take row locks on balances (PostgreSQL). */
  readonly lock: boolean;
  readonly orderId: string;
  readonly seq: bigint;
  readonly now: bigint;
  /** Fills, journal lines and position changes of the batch, written before its COMMIT. */
  readonly writes: BatchWrites;
}

export interface Placement {
  readonly taker: IncomingOrder;
  readonly result: Extract<MatchResult, { kind: 'executed' }>;
  readonly row: OrderRow;
  readonly fills: readonly FillRow[];
}

export async function placeInTransaction(ctx: PlacementContext, cmd: PlaceCommand): Promise<Placement> {
  const { trx, instrument, book, now } = ctx;
  const order: OrderRequest = {
    userId: cmd.userId, symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, side: cmd.side, type: cmd.type,
    quantity: BigInt(cmd.quantity), price: cmd.price === null ? null : BigInt(cmd.price), timeInForce: cmd.timeInForce, postOnly: cmd.postOnly,
  };
  const killSwitch = { global: ctx.killSwitches.global, user: ctx.killSwitches.users.has(order.userId), symbol: ctx.killSwitches.symbol };
  const account = await readOrderAccountState(trx, order.userId, order.symbol, order.clientOrderId, instrument, ctx.lock);
  const limits = effectiveLimits(account.limits, instrument, ctx.limitDefaults);
  const available = (asset: string) => {
    const b = account.balances.get(asset);
    return b ? b.total - b.reserved : 0n;
  };
  const verdict = evaluateRisk({
    order, instrument: ctx.instrumentStatus === instrument.status ? instrument : { ...instrument, status: ctx.instrumentStatus }, limits, reference: ctx.reference, book, killSwitch, duplicate: account.duplicate, ordersInWindow: cmd.ordersInWindow,
    account: { available: { base: available(instrument.base), quote: available(instrument.quote) }, position: account.position + pendingPosition(ctx.writes, order.userId), open: openQuantity(book, order.userId) },
  });
  if (!verdict.ok) throw new Rejection(verdict.code, verdict.reason);

  const taker: IncomingOrder = {
    id: ctx.orderId, userId: order.userId, side: order.side, price: verdict.executionPrice, quantity: order.quantity,
    timeInForce: order.timeInForce, postOnly: order.postOnly, seq: ctx.seq,
  };
  const result = matchOrder(book, taker, limits.selfTradePrevention);
  if (result.kind === 'rejected') {
    throw result.reason === 'self-trade'
      ? new Rejection('RISK_SELF_TRADE', 'the order would trade against an order of the same account')
      : new Rejection('ORDER_POST_ONLY_REJECTED', 'a post-only order would take liquidity');
  }
  const settlement = settleMatch(instrument, taker, result);
  const row: OrderRow = {
    id: taker.id, user_id: order.userId, symbol: order.symbol, client_order_id: order.clientOrderId, side: order.side, type: order.type,
    time_in_force: order.timeInForce, post_only: order.postOnly ? 1n : 0n, price: order.price, quantity: order.quantity,
    filled_quantity: result.filled, reserved: result.rest > 0n ? reservationOf(instrument, taker.side, verdict.executionPrice, result.rest).amount : 0n,
    status: result.status, seq: ctx.seq, cancel_reason: result.status === 'expired' ? 'time-in-force' : null, created_at: now, updated_at: now,
  };
  // Another replica or request may have recorded the same clientOrderId first (the unique index decides).
  if (!(await insertOrder(trx, row))) throw new Rejection('ORDER_DUPLICATE', 'clientOrderId already used by this account');
  for (const fill of result.fills) {
    const maker = restingOrder(book, fill.makerId);
    if (!maker) throw new TypeError(`maker ${fill.makerId} vanished from the book`);
    const reserved = reservationOf(instrument, maker.side, maker.price, fill.makerRemaining).amount;
    await updateMaker(trx, fill.makerId, { quantity: fill.quantity, reserved, done: fill.makerRemaining === 0n }, now);
  }
  for (const own of result.cancelled) await markCancelled(trx, own.id, 'self-trade-prevention', now);
  const fills: FillRow[] = result.fills.map((fill, index) => ({
    id: `${taker.id}.${String(index).padStart(4, '0')}`, symbol: order.symbol, taker_order_id: taker.id, maker_order_id: fill.makerId,
    taker_user_id: taker.userId, maker_user_id: fill.makerUserId, taker_side: taker.side, price: fill.price, quantity: fill.quantity,
    quote_amount: (fill.price * fill.quantity) / instrument.notionalDivisor, created_at: now,
  }));
  await applyBalanceDeltas(trx, settlement.balances, now);
  const journal: JournalEntry[] = settlement.journal.map((line) => ({
    userId: line.userId, asset: line.asset, amount: line.amount, kind: 'trade', refId: (fills[line.fill] as FillRow).id,
  }));
  ctx.writes.fills.push(...fills);
  ctx.writes.journal.push(...journalRows(journal, now));
  addPositionDeltas(ctx.writes, settlement.positions);
  return { taker, result, row, fills };
}
