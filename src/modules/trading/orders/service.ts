/**
 * The order API's domain side: parses decimal strings at the instrument's scales, counts the
 * account's order rate in the shared state store (every attempt counts, on every replica), and
 * hands the command to the symbol's single writer through the matching host. Reads (orders,
 * balances, positions) go straight to the database.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../../../lib/db/schema.js';
import { AppError } from '../../../lib/errors/index.js';
import { formatDecimal, parseDecimal } from '../../../lib/money/decimal.js';
import type { StateStore } from '../../../lib/state/index.js';
import type { TradingEvents } from '../events.js';
import { instrumentStatuses, type InstrumentRegistry } from '../instruments/registry.js';
import { listBalances, listPositions } from '../ledger/accounts.js';
import type { Side } from '../matching/book.js';
import type { TimeInForce } from '../matching/engine.js';
import type { MatchingHost } from '../ownership/host.js';
import type { OrderType } from '../risk/types.js';
import type { PlaceCommand, RequestContext } from './commands.js';
import { fillsOfOrder, findOrder, listOrders } from './repository.js';
import { orderView, type OrderView } from './view.js';

export interface PlaceOrderBody {
  clientOrderId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  quantity: string;
  price?: string;
  timeInForce: TimeInForce;
  postOnly?: boolean;
}

/** Fixed one-second window for the per-account order rate (RISK_ORDER_RATE). */
const RATE_WINDOW_MS = 1_000;

export function createOrderService(deps: { db: Kysely<Tables>; state: StateStore; instruments: InstrumentRegistry; host: MatchingHost; events: TradingEvents }) {
  const { db, instruments, host, events } = deps;

  const instrumentOf = (symbol: string) => {
    const instrument = instruments.get(symbol);
    if (!instrument) throw new AppError('NOT_FOUND', 'Order not found.');
    return instrument;
  };

  return {
    async placeOrder(userId: string, body: PlaceOrderBody, ctx: RequestContext): Promise<OrderView> {
      const command: PlaceCommand = {
        op: 'place', symbol: body.symbol, userId, clientOrderId: body.clientOrderId, side: body.side, type: body.type,
        quantity: body.quantity, price: body.price ?? null, timeInForce: body.timeInForce, postOnly: body.postOnly ?? false, ordersInWindow: 0, ctx,
      };
      const refuse = (reason: string): never => {
        events.rejected(command, 'ORDER_INVALID', reason);
        throw new AppError('ORDER_INVALID', reason);
      };
      const instrument = instruments.get(body.symbol) ?? refuse(`unknown symbol ${body.symbol}`);
      const quantity = parseDecimal(body.quantity, instrument.baseScale);
      if (!quantity.ok) return refuse(`quantity: ${quantity.reason === 'precision' ? 'finer than the lot size allows' : 'not a valid amount'}`);
      let price: string | null = null;
      if (body.price !== undefined) {
        const parsed = parseDecimal(body.price, instrument.priceScale);
        if (!parsed.ok) return refuse(`price: ${parsed.reason === 'precision' ? 'finer than the tick size allows' : 'not a valid price'}`);
        else price = parsed.value.toString();
      }
      const ordersInWindow = await deps.state.increment(`trading:rate:${userId}`, 1, RATE_WINDOW_MS);
      const result = await host.execute({ ...command, quantity: quantity.value.toString(), price, ordersInWindow });
      if (!result.ok) {
        throw new AppError(result.code, result.reason, result.code === 'RISK_ORDER_RATE' ? { headers: { 'retry-after': '1' } } : {});
      }
      return result.order as OrderView;
    },

    async cancelOrder(userId: string, orderId: string, ctx: RequestContext): Promise<OrderView> {
      const row = await findOrder(db, orderId);
      // Someone else's order is answered exactly like a missing one (SPEC §2).
      if (!row || row.user_id !== userId) throw new AppError('NOT_FOUND', 'Order not found.');
      const result = await host.execute({ op: 'cancel', symbol: row.symbol, orderId, userId, ctx });
      if (!result.ok) throw new AppError(result.code, result.reason);
      return this.getOrder(userId, orderId);
    },

    async getOrder(userId: string, orderId: string): Promise<OrderView> {
      const row = await findOrder(db, orderId);
      if (!row || row.user_id !== userId) throw new AppError('NOT_FOUND', 'Order not found.');
      return orderView(instrumentOf(row.symbol), row, await fillsOfOrder(db, orderId));
    },

    async listOrders(userId: string, filter: { status?: 'open' | 'closed'; symbol?: string; limit: number }): Promise<OrderView[]> {
      const rows = await listOrders(db, userId, {
        ...(filter.status ? { open: filter.status === 'open' } : {}), ...(filter.symbol ? { symbol: filter.symbol } : {}), limit: filter.limit,
      });
      return rows.map((row) => orderView(instrumentOf(row.symbol), row, []));
    },

    /** Current statuses (an admin halt is live, the rest of the catalogue is fixed at boot). */
    instrumentStatuses: () => instrumentStatuses(db),

    async balances(userId: string) {
      const rows = await listBalances(db, userId);
      return rows.map((row) => {
        const scale = instruments.assetScale(row.asset) ?? 0;
        return { asset: row.asset, total: formatDecimal(row.total, scale), available: formatDecimal(row.total - row.reserved, scale), reserved: formatDecimal(row.reserved, scale) };
      });
    },

    async positions(userId: string) {
      const rows = await listPositions(db, userId);
      return rows.map((row) => ({ symbol: row.symbol, quantity: formatDecimal(row.quantity, instrumentOf(row.symbol).baseScale) }));
    },
  };
}

export type OrderService = ReturnType<typeof createOrderService>;
