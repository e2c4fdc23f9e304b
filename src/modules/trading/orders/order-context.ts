/**
 * What pre-trade risk needs to know about the account — its stored risk limits, its position in
 * the symbol, whether its `clientOrderId` is taken, and its balances of the two assets — read as
 * point lookups (each on a primary or unique key) in scalar subqueries of ONE statement. On
 * SQLite the balances are in the same statement (one statement's overhead instead of five); on
 * PostgreSQL they are a second one, because they are locked (`FOR UPDATE`, ledger/accounts.ts)
 * — still two round trips instead of five inside the symbol writer's transaction.
 */
import type { ExpressionBuilder } from 'kysely';
import { prepared } from '../../../lib/db/prepared.js';
import type { Tables } from '../../../lib/db/schema.js';
import { readBalances, type Balance, type Executor } from '../ledger/accounts.js';
import { parseAccountLimits, type AccountLimits } from '../risk/limits-store.js';

export interface OrderContext {
  readonly limits: AccountLimits;
  /** Net base quantity held in the symbol (signed; 0 without a row). */
  readonly position: bigint;
  /** The account already used this clientOrderId (on any symbol). */
  readonly duplicate: boolean;
}

export interface OrderAccountState extends OrderContext {
  /** The account's balances of the instrument's two assets (missing rows are zero). */
  readonly balances: ReadonlyMap<string, Balance>;
}

/** The three context lookups, shared by both statements below. */
const contextColumns = (eb: ExpressionBuilder<Tables, never>, userId: string, symbol: string, clientOrderId: string) => [
  eb.selectFrom('trading_risk_limits').select('limits').where('user_id', '=', userId).as('limits'),
  eb.selectFrom('trading_positions').select('quantity').where('user_id', '=', userId).where('symbol', '=', symbol).as('position'),
  eb.selectFrom('trading_orders').select('id').where('user_id', '=', userId).where('client_order_id', '=', clientOrderId).as('duplicate_id'),
] as const;

const selectOrderContext = prepared((db: Executor, userId: string, symbol: string, clientOrderId: string) =>
  db.selectNoFrom((eb) => contextColumns(eb, userId, symbol, clientOrderId)));

const selectOrderContextAndBalances = prepared((db: Executor, userId: string, symbol: string, clientOrderId: string, base: string, quote: string) =>
  db.selectNoFrom((eb) => {
    const balance = (asset: string, column: 'total' | 'reserved') => eb.selectFrom('trading_balances').select(column).where('user_id', '=', userId).where('asset', '=', asset);
    return [
      ...contextColumns(eb, userId, symbol, clientOrderId),
      balance(base, 'total').as('base_total'), balance(base, 'reserved').as('base_reserved'),
      balance(quote, 'total').as('quote_total'), balance(quote, 'reserved').as('quote_reserved'),
    ];
  }));

const contextOf = (row: { limits: string | null; position: bigint | null; duplicate_id: string | null } | undefined): OrderContext => ({
  limits: parseAccountLimits(row?.limits ?? null),
  position: row?.position ?? 0n,
  duplicate: row?.duplicate_id !== null && row?.duplicate_id !== undefined,
});

/**
 * The order context and the balances of `base` and `quote`. `lock` (PostgreSQL) reads the
 * balances in their own statement with row locks; otherwise everything is one statement.
 */
export async function readOrderAccountState(db: Executor, userId: string, symbol: string, clientOrderId: string, assets: { base: string; quote: string }, lock: boolean): Promise<OrderAccountState> {
  if (lock) {
    const context = await readOrderContext(db, userId, symbol, clientOrderId);
    return { ...context, balances: await readBalances(db, userId, [assets.base, assets.quote], true) };
  }
  const row = (await selectOrderContextAndBalances(db, userId, symbol, clientOrderId, assets.base, assets.quote)).rows[0];
  return {
    ...contextOf(row),
    balances: new Map<string, Balance>([
      [assets.base, { asset: assets.base, total: row?.base_total ?? 0n, reserved: row?.base_reserved ?? 0n }],
      [assets.quote, { asset: assets.quote, total: row?.quote_total ?? 0n, reserved: row?.quote_reserved ?? 0n }],
    ]),
  };
}

export async function readOrderContext(db: Executor, userId: string, symbol: string, clientOrderId: string): Promise<OrderContext> {
  return contextOf((await selectOrderContext(db, userId, symbol, clientOrderId)).rows[0]);
}
