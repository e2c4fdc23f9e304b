/**
 * Inputs and verdicts of the pre-trade risk evaluation (SEC Rule 15c3-5 style controls; SPEC §5).
 * Everything the check needs is passed in; nothing is read from storage or the clock inside.
 */
import type { Instrument } from '../instruments/instrument.js';
import type { OrderBook, Side } from '../matching/book.js';
import type { SelfTradePrevention, TimeInForce } from '../matching/engine.js';
import type { PriceStatus } from '../../../lib/pricing/index.js';

export type OrderType = 'limit' | 'market';

/** A parsed order: decimal strings already turned into integers at the instrument's scales. */
export interface OrderRequest {
  readonly userId: string;
  readonly symbol: string;
  readonly clientOrderId: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: bigint;
  /** Limit price at the instrument's price scale; null for market orders. */
  readonly price: bigint | null;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
}

/** Per-account limits for one symbol (admin-set, else the instrument's defaults). */
export interface RiskLimits {
  readonly maxOrderQuantity: bigint;
  readonly maxOrderNotional: bigint;
  /** Largest absolute net position in base minor units, counting open orders. */
  readonly maxPosition: bigint;
  /** Orders per rate window (the window is the caller's; it counts attempts). */
  readonly maxOrdersPerWindow: number;
  readonly selfTradePrevention: SelfTradePrevention;
}

/** The validated reference price at REFERENCE_SCALE fractional digits. */
export interface ReferencePrice {
  readonly status: PriceStatus;
  readonly price: bigint | null;
}

export interface RiskInput {
  readonly order: OrderRequest;
  readonly instrument: Instrument;
  readonly limits: RiskLimits;
  readonly account: {
    /** Available (total − reserved) of the instrument's base and quote assets. */
    readonly available: { readonly base: bigint; readonly quote: bigint };
    /** Net traded position in the symbol (signed). */
    readonly position: bigint;
    /** Open quantity of the account's resting orders in this symbol. */
    readonly open: { readonly buy: bigint; readonly sell: bigint };
  };
  readonly reference: ReferencePrice;
  readonly book: OrderBook;
  readonly killSwitch: { readonly global: boolean; readonly user: boolean; readonly symbol: boolean };
  readonly duplicate: boolean;
  /** Orders of this account in the current rate window, this one included. */
  readonly ordersInWindow: number;
}

export type RiskCode =
  | 'RISK_KILL_SWITCH' | 'MARKET_HALTED' | 'PRICE_STALE' | 'RISK_ORDER_RATE' | 'ORDER_INVALID' | 'ORDER_DUPLICATE'
  | 'RISK_MAX_QTY' | 'RISK_PRICE_BAND' | 'RISK_MAX_NOTIONAL' | 'RISK_POSITION_LIMIT' | 'RISK_INSUFFICIENT_BALANCE'
  | 'RISK_SELF_TRADE' | 'ORDER_POST_ONLY_REJECTED';

export type RiskVerdict =
  | {
      readonly ok: true;
      /** The limit, or for a market order the protection price at the band edge. */
      readonly executionPrice: bigint;
      readonly reservation: { readonly asset: string; readonly amount: bigint };
    }
  | { readonly ok: false; readonly code: RiskCode; readonly reason: string };
