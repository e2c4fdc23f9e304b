/**
 * The wire form of orders, fills, balances and positions (SPEC §2: amounts and prices are
 * decimal strings). Built from database rows, so an answer forwarded from another replica and a
 * later `GET /v1/orders/{id}` look the same.
 */
import { formatDecimal } from '../../../lib/money/decimal.js';
import type { Instrument } from '../instruments/instrument.js';
import type { FillRow, OrderRow } from './repository.js';

export interface FillView {
  tradeId: string;
  price: string;
  quantity: string;
  liquidity: 'maker' | 'taker';
  time: string;
}

export interface OrderView {
  orderId: string;
  clientOrderId: string;
  symbol: string;
  side: string;
  type: string;
  timeInForce: string;
  postOnly: boolean;
  price: string | null;
  quantity: string;
  filledQuantity: string;
  remainingQuantity: string;
  status: string;
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
  fills: FillView[];
}

export function fillView(instrument: Instrument, orderId: string, row: FillRow): FillView {
  return {
    tradeId: row.id,
    price: formatDecimal(row.price, instrument.priceScale),
    quantity: formatDecimal(row.quantity, instrument.baseScale),
    liquidity: row.taker_order_id === orderId ? 'taker' : 'maker',
    time: new Date(Number(row.created_at)).toISOString(),
  };
}

export function orderView(instrument: Instrument, row: OrderRow, fills: readonly FillRow[]): OrderView {
  const open = row.status === 'open' || row.status === 'partially_filled';
  return {
    orderId: row.id,
    clientOrderId: row.client_order_id,
    symbol: row.symbol,
    side: row.side,
    type: row.type,
    timeInForce: row.time_in_force,
    postOnly: row.post_only === 1n,
    price: row.price === null ? null : formatDecimal(row.price, instrument.priceScale),
    quantity: formatDecimal(row.quantity, instrument.baseScale),
    filledQuantity: formatDecimal(row.filled_quantity, instrument.baseScale),
    remainingQuantity: formatDecimal(open ? row.quantity - row.filled_quantity : 0n, instrument.baseScale),
    status: row.status,
    cancelReason: row.cancel_reason,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
    fills: fills.map((f) => fillView(instrument, row.id, f)),
  };
}
