/**
 * What pre-trade risk needs to know about the account besides its balances — its stored risk
 * limits, its position in the symbol, and whether its `clientOrderId` is taken — read in ONE
 * statement per order: three point lookups (each on a primary or unique key) as scalar
 * subqueries. On PostgreSQL that is one round trip instead of three inside the symbol writer's
 * transaction, on SQLite one statement's overhead instead of three. Balances are read on their
 * own because PostgreSQL locks them (`FOR UPDATE`, ledger/accounts.ts).
 */
import { prepared } from '../../../lib/db/prepared.js';
import type { Executor } from '../ledger/accounts.js';
import { parseAccountLimits, type AccountLimits } from '../risk/limits-store.js';

export interface OrderContext {
  readonly limits: AccountLimits;
  /** Net base quantity held in the symbol (signed; 0 without a row). */
  readonly position: bigint;
  /** The account already used this clientOrderId (on any symbol). */
  readonly duplicate: boolean;
}

const selectOrderContext = prepared((db: Executor, userId: string, symbol: string, clientOrderId: string) =>
  db.selectNoFrom((eb) => [
    eb.selectFrom('trading_risk_limits').select('limits').where('user_id', '=', userId).as('limits'),
    eb.selectFrom('trading_positions').select('quantity').where('user_id', '=', userId).where('symbol', '=', symbol).as('position'),
    eb.selectFrom('trading_orders').select('id').where('user_id', '=', userId).where('client_order_id', '=', clientOrderId).as('duplicate_id'),
  ]));

export async function readOrderContext(db: Executor, userId: string, symbol: string, clientOrderId: string): Promise<OrderContext> {
  const row = (await selectOrderContext(db, userId, symbol, clientOrderId)).rows[0];
  return {
    limits: parseAccountLimits(row?.limits ?? null),
    position: row?.position ?? 0n,
    duplicate: row?.duplicate_id !== null && row?.duplicate_id !== undefined,
  };
}
