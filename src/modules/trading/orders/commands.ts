/**
 * Commands a symbol's single writer executes, and their results. They are plain JSON (amounts
 * as integer strings in minor units) because a replica that does not own the symbol's book
 * hands them to the owner over the shared state store (ownership/forwarder.ts).
 */
import type { Side } from '../matching/book.js';
import type { TimeInForce } from '../matching/engine.js';
import type { OrderType, RiskCode } from '../risk/types.js';
import type { OrderView } from './view.js';

export interface RequestContext {
  readonly actor: string;
  readonly ip: string | null;
  readonly requestId: string | null;
}

export interface PlaceCommand {
  readonly op: 'place';
  readonly symbol: string;
  readonly userId: string;
  readonly clientOrderId: string;
  readonly side: Side;
  readonly type: OrderType;
  /** Base minor units, as an integer string. */
  readonly quantity: string;
  /** Price at the instrument's scale, as an integer string; null for market orders. */
  readonly price: string | null;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  /** Attempts of this account in the current rate window, this one included (shared counter). */
  readonly ordersInWindow: number;
  readonly ctx: RequestContext;
}

export interface CancelCommand {
  readonly op: 'cancel';
  readonly symbol: string;
  readonly orderId: string;
  readonly userId: string;
  readonly ctx: RequestContext;
}

/** Cancels every resting order of the symbol, or of one account in it (kill switch). */
export interface CancelWhereCommand {
  readonly op: 'cancel-where';
  readonly symbol: string;
  readonly userId: string | null;
  readonly reason: string;
  readonly ctx: RequestContext;
}

export type Command = PlaceCommand | CancelCommand | CancelWhereCommand;

export type RejectCode = RiskCode | 'ORDER_NOT_OPEN' | 'NOT_FOUND';

export type CommandResult =
  | { readonly ok: true; readonly order?: OrderView; readonly cancelled?: number }
  | { readonly ok: false; readonly code: RejectCode; readonly reason: string };
