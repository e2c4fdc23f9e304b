/**
 * Balances, positions and the journal in the database. Every balance change is one guarded
 * UPDATE (`reserveBalance()`-style: it applies only if the result keeps total ≥ 0, reserved ≥ 0
 * and reserved ≤ total), so no interleaving of replicas or symbols can drive an account
 * negative; the table's CHECK constraints back this up. Deltas are applied in (account, asset)
 * order, one fixed lock order for every transaction.
 */
import type { Kysely, Transaction } from 'kysely';
import { prepared, preparedInsert } from '../../../lib/db/prepared.js';
import type { Tables } from '../../../lib/db/schema.js';
import { orderedId } from '../../../lib/ids/ordered-id.js';
import type { BalanceDelta } from './settlement.js';

export type Executor = Kysely<Tables> | Transaction<Tables>;

export interface Balance {
  readonly asset: string;
  readonly total: bigint;
  readonly reserved: bigint;
}

/** A guarded balance update found the account unable to take the change. */
export class BalanceGuardError extends Error {
  constructor(readonly userId: string, readonly asset: string) {
    super(`balance guard refused a change to ${asset}`);
    this.name = 'BalanceGuardError';
  }
}

// The order path's statements, built once (lib/db/prepared.ts): one pair of assets per order.
const selectTwoBalances = (db: Executor, userId: string, a: string, b: string) => db.selectFrom('trading_balances')
  .select(['asset', 'total', 'reserved']).where('user_id', '=', userId).where('asset', 'in', [a, b]).orderBy('asset');
const readTwoBalances = prepared(selectTwoBalances);
const readTwoBalancesLocked = prepared((db, userId: string, a: string, b: string) => selectTwoBalances(db, userId, a, b).forUpdate());

/** Reads balances (missing rows are zero). `lock` takes row locks on PostgreSQL (FOR UPDATE). */
export async function readBalances(db: Executor, userId: string, assets: readonly string[], lock: boolean): Promise<Map<string, Balance>> {
  const [a, b] = assets;
  const rows = assets.length === 2 && a !== undefined && b !== undefined
    ? (await (lock ? readTwoBalancesLocked : readTwoBalances)(db, userId, a, b)).rows
    : await db.selectFrom('trading_balances').select(['asset', 'total', 'reserved'])
      .where('user_id', '=', userId).where('asset', 'in', [...assets]).orderBy('asset')
      .$if(lock, (q) => q.forUpdate()).execute();
  const out = new Map<string, Balance>();
  for (const asset of assets) out.set(asset, { asset, total: 0n, reserved: 0n });
  for (const row of rows) out.set(row.asset, { asset: row.asset, total: row.total, reserved: row.reserved });
  return out;
}

export async function listBalances(db: Executor, userId: string): Promise<Balance[]> {
  return db.selectFrom('trading_balances').select(['asset', 'total', 'reserved']).where('user_id', '=', userId).orderBy('asset').execute();
}

/** Applies deltas in the given (sorted) order; throws BalanceGuardError if any would break an invariant. */
export async function applyBalanceDeltas(db: Executor, deltas: readonly BalanceDelta[], now: bigint): Promise<void> {
  for (const d of deltas) {
    if (await guardedUpdate(db, d, now)) continue;
    // No row yet (first credit of this asset), or the guard refused: create the zero row and
    // try once more, so the common case (the row exists) costs one statement.
    await insertZeroBalance(db, d.userId, d.asset, now);
    if (!(await guardedUpdate(db, d, now))) throw new BalanceGuardError(d.userId, d.asset);
  }
}

const insertZeroBalance = prepared((db, userId: string, asset: string, now: bigint) =>
  db.insertInto('trading_balances').values({ user_id: userId, asset, total: 0n, reserved: 0n, updated_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'asset']).doNothing()));

const updateBalanceGuarded = prepared((db, userId: string, asset: string, total: bigint, reserved: bigint, now: bigint) =>
  db.updateTable('trading_balances')
    .set((eb) => ({ total: eb('total', '+', total), reserved: eb('reserved', '+', reserved), updated_at: now }))
    .where('user_id', '=', userId).where('asset', '=', asset)
    .where((eb) => eb.and([
      eb(eb('total', '+', total), '>=', 0n),
      eb(eb('reserved', '+', reserved), '>=', 0n),
      eb(eb('total', '+', total), '>=', eb('reserved', '+', reserved)),
    ])));

async function guardedUpdate(db: Executor, d: BalanceDelta, now: bigint): Promise<boolean> {
  const result = await updateBalanceGuarded(db, d.userId, d.asset, d.total, d.reserved, now);
  return result.numAffectedRows === 1n;
}

export interface JournalEntry {
  userId: string;
  asset: string;
  amount: bigint;
  kind: 'deposit' | 'trade' | 'withdrawal' | 'withdrawal-refund';
  refId: string;
}

type LedgerRow = Tables['trading_ledger'];
const insertJournal = preparedInsert<'trading_ledger', LedgerRow>('trading_ledger', ['id', 'user_id', 'asset', 'amount', 'kind', 'ref_id', 'created_at']);

export type JournalRow = LedgerRow;

/** Entries get time-ordered ids: they append to the id index instead of scattering across it. */
export function journalRows(entries: readonly JournalEntry[], now: bigint): JournalRow[] {
  return entries.map((e) => ({ id: orderedId(), user_id: e.userId, asset: e.asset, amount: e.amount, kind: e.kind, ref_id: e.refId, created_at: now }));
}

/** One multi-row INSERT (the order path collects a whole group commit's lines first). */
export async function insertJournalRows(db: Executor, rows: readonly JournalRow[]): Promise<void> {
  if (rows.length > 0) await insertJournal(db, rows);
}

export async function appendJournal(db: Executor, entries: readonly JournalEntry[], now: bigint): Promise<void> {
  await insertJournalRows(db, journalRows(entries, now));
}

export async function listPositions(db: Executor, userId: string): Promise<{ symbol: string; quantity: bigint }[]> {
  return db.selectFrom('trading_positions').select(['symbol', 'quantity']).where('user_id', '=', userId).orderBy('symbol').execute();
}

type PositionRow = Tables['trading_positions'];
const upsertPositions = preparedInsert<'trading_positions', PositionRow>('trading_positions', ['user_id', 'symbol', 'quantity', 'updated_at'],
  (insert) => insert.onConflict((oc) => oc.columns(['user_id', 'symbol']).doUpdateSet((eb) => ({
    quantity: eb(eb.ref('trading_positions.quantity'), '+', eb.ref('excluded.quantity')),
    updated_at: eb.ref('excluded.updated_at'),
  }))));

/**
 * Adds each account's net quantity (one entry per account: PostgreSQL refuses an upsert that
 * touches a row twice) to its position in `symbol`, in ONE upsert (one per row on SQLite,
 * lib/db/prepared.ts), in account order (the fixed lock order); zero sums are left out.
 */
export async function applyPositionDeltas(db: Executor, symbol: string, net: ReadonlyMap<string, bigint>, now: bigint): Promise<void> {
  const rows = [...net].filter(([, q]) => q !== 0n).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([userId, quantity]) => ({ user_id: userId, symbol, quantity, updated_at: now }));
  if (rows.length > 0) await upsertPositions(db, rows);
}
