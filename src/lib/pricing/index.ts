/**
 * The validated reference price that trading's price bands read (SPEC §5/§6). The market-data
 * module implements it from signed multi-source feeds; until a symbol has a feed, trading falls
 * back to an admin-set reference. A stale or halted price must never widen a band: callers
 * reject orders with PRICE_STALE / MARKET_HALTED instead.
 */
export type PriceStatus = 'ok' | 'stale' | 'halted' | 'unknown';

export interface ReferencePriceQuote {
  symbol: string;
  /** Decimal string, or null when no validated price exists. */
  price: string | null;
  status: PriceStatus;
  /** Unix ms of the last validated update, or null. */
  updatedAt: number | null;
}

export interface ReferencePriceSource {
  quote(symbol: string): Promise<ReferencePriceQuote>;
}
