/**
 * Kill switches (SEC Rule 15c3-5 "kill switch"; SPEC §5): global, per account, per symbol.
 * The database row is the only source of truth and every order transaction reads it, so a
 * switch engaged on one replica stops new orders on every replica from the next request on,
 * with no cache to invalidate. Engaging also cancels resting orders (the capability routes
 * that to each book's owner, and a rebuilt book re-applies engaged switches).
 */
import { fromDbBool, toDbBool } from '../../../lib/db/index.js';
import { prepared } from '../../../lib/db/prepared.js';
import type { Executor } from '../ledger/accounts.js';

export type KillScope = 'global' | 'user' | 'symbol';

export interface KillSwitchState {
  readonly scope: KillScope;
  /** '' for global. */
  readonly target: string;
  readonly engaged: boolean;
  readonly reason: string;
  readonly updatedBy: string;
  readonly updatedAt: number;
}

/** Which switches cover an order of `userId` in `symbol` (one indexed read). */
export async function engagedFor(db: Executor, userId: string, symbol: string): Promise<{ global: boolean; user: boolean; symbol: boolean }> {
  const rows = await db.selectFrom('trading_kill_switches').select(['scope', 'target'])
    .where('engaged', '=', toDbBool(true))
    .where((eb) => eb.or([
      eb('scope', '=', 'global'),
      eb.and([eb('scope', '=', 'user'), eb('target', '=', userId)]),
      eb.and([eb('scope', '=', 'symbol'), eb('target', '=', symbol)]),
    ])).execute();
  return {
    global: rows.some((r) => r.scope === 'global'),
    user: rows.some((r) => r.scope === 'user'),
    symbol: rows.some((r) => r.scope === 'symbol'),
  };
}

/** The switches that can stop an order in `symbol`: global, the symbol's, and every engaged account. */
export interface EngagedSwitches {
  readonly global: boolean;
  readonly symbol: boolean;
  readonly users: ReadonlySet<string>;
}

// Built once (lib/db/prepared.ts): it runs in every order batch.
const selectEngagedForSymbol = prepared((db, symbol: string) => db.selectFrom('trading_kill_switches').select(['scope', 'target'])
  .where('engaged', '=', toDbBool(true))
  .where((eb) => eb.or([
    eb('scope', '=', 'global'),
    eb('scope', '=', 'user'),
    eb.and([eb('scope', '=', 'symbol'), eb('target', '=', symbol)]),
  ])));

/**
 * One read per order batch (orders/worker.ts), inside the batch's transaction: engaged switches
 * are few, so reading every engaged account switch once is cheaper than a read per order.
 */
export async function engagedForSymbol(db: Executor, symbol: string): Promise<EngagedSwitches> {
  const { rows } = await selectEngagedForSymbol(db, symbol);
  return {
    global: rows.some((r) => r.scope === 'global'),
    symbol: rows.some((r) => r.scope === 'symbol'),
    users: new Set(rows.filter((r) => r.scope === 'user').map((r) => r.target)),
  };
}

export async function setKillSwitch(db: Executor, state: Omit<KillSwitchState, 'updatedAt'>, now: number): Promise<void> {
  const row = { scope: state.scope, target: state.target, engaged: toDbBool(state.engaged), reason: state.reason, updated_by: state.updatedBy, updated_at: BigInt(now) };
  await db.insertInto('trading_kill_switches').values(row)
    .onConflict((oc) => oc.columns(['scope', 'target']).doUpdateSet({ engaged: row.engaged, reason: row.reason, updated_by: row.updated_by, updated_at: row.updated_at }))
    .execute();
}

export async function engagedSwitches(db: Executor): Promise<KillSwitchState[]> {
  const rows = await db.selectFrom('trading_kill_switches').selectAll().where('engaged', '=', toDbBool(true)).orderBy('scope').orderBy('target').execute();
  return rows.map((r) => ({
    scope: r.scope as KillScope, target: r.target, engaged: fromDbBool(r.engaged), reason: r.reason, updatedBy: r.updated_by, updatedAt: Number(r.updated_at),
  }));
}
