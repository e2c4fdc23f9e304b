/**
 * Rows of one group commit that nothing in the batch reads back — fills, journal lines and
 * position changes — collected while its commands run and written just before the COMMIT
 * (`preparedInsert`: one multi-row statement per table on PostgreSQL, where each statement is a
 * round trip inside the writer's transaction; one-row statements on SQLite, where that is faster).
 *
 * The one exception is the position, which pre-trade risk reads for the position limit: a
 * later order of the same account in the batch must see the earlier ones' fills, so
 * `pendingPosition` is added to what the database holds. A batch that does not commit drops its
 * collector with everything else it did (orders/worker.ts makes a new one per attempt).
 */
import type { Transaction } from 'kysely';
import type { Tables } from '../../../lib/db/schema.js';
import { applyPositionDeltas, insertJournalRows, type JournalRow } from '../ledger/accounts.js';
import { insertFills, type FillRow } from './repository.js';

export interface BatchWrites {
  readonly fills: FillRow[];
  readonly journal: JournalRow[];
  /** Net position change per account in this symbol, not yet written. */
  readonly positions: Map<string, bigint>;
}

export function createBatchWrites(): BatchWrites {
  return { fills: [], journal: [], positions: new Map() };
}

export function addPositionDeltas(writes: BatchWrites, deltas: readonly { userId: string; quantity: bigint }[]): void {
  for (const d of deltas) writes.positions.set(d.userId, (writes.positions.get(d.userId) ?? 0n) + d.quantity);
}

export function pendingPosition(writes: BatchWrites, userId: string): bigint {
  return writes.positions.get(userId) ?? 0n;
}

/** Writes what the batch collected; call inside its transaction, after its last command. */
export async function flushBatchWrites(trx: Transaction<Tables>, symbol: string, writes: BatchWrites, now: bigint): Promise<void> {
  await insertFills(trx, writes.fills);
  await applyPositionDeltas(trx, symbol, writes.positions, now);
  await insertJournalRows(trx, writes.journal);
}
