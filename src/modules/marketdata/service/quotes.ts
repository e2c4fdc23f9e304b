/**
 * Read side: the ReferencePriceSource port that trading's price bands read (src/lib/pricing)
 * and the public price view of `GET /v1/market-data/prices/{symbol}`. Both come from the same
 * evaluation, so what a user sees is exactly what the risk check used. Trading maps `halted`
 * to MARKET_HALTED and `stale` to PRICE_STALE (src/modules/trading/risk).
 */
import { formatDecimal } from '../../../lib/money/decimal.js';
import type { ReferencePriceQuote, ReferencePriceSource } from '../../../lib/pricing/index.js';
import type { SourceState } from '../aggregate/aggregate.js';
import type { Monitor } from '../engine/monitor.js';
import { PRICE_SCALE } from '../policy.js';

export interface PriceView {
  symbol: string;
  price: string | null;
  status: ReferencePriceQuote['status'];
  updatedAt: number | null;
  quorum: number;
  sources: { sourceId: string; price: string; timestamp: number; state: SourceState }[];
}

export function createReferencePrices(monitor: Monitor): ReferencePriceSource {
  return {
    async quote(symbol) {
      const evaluation = monitor.view(symbol);
      // No policy: market data has no feed for the symbol (trading may use its admin fallback).
      if (!evaluation) return { symbol, price: null, status: 'unknown', updatedAt: null };
      return { symbol, ...evaluation.quote };
    },
  };
}

export function priceView(monitor: Monitor, symbol: string): PriceView | null {
  const evaluation = monitor.view(symbol);
  if (!evaluation) return null;
  return {
    symbol,
    ...evaluation.quote,
    quorum: evaluation.aggregate.quorum,
    sources: evaluation.aggregate.sources
      .map((s) => ({ sourceId: s.sourceId, price: formatDecimal(s.price, PRICE_SCALE), timestamp: s.timestamp, state: s.state }))
      .sort((a, b) => (a.sourceId < b.sourceId ? -1 : 1)),
  };
}
