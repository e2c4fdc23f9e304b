/**
 * Prometheus series of market-data integrity (issue 8: price and source-health metrics in
 * /metrics). Gauges are computed at scrape time from this replica's view. Label values are
 * configured symbols and registered source ids only — rejected updates are counted by reason,
 * never by the claimed source id, so nobody can mint label values by posting made-up ids.
 * Prices are exported as floats for dashboards only; nothing reads them back.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Aggregate, SourceState } from './aggregate/aggregate.js';
import type { PriceStatus } from '../../lib/pricing/index.js';

export interface SymbolHealth {
  symbol: string;
  status: PriceStatus;
  price: string | null;
  aggregate: Aggregate | null;
  now: number;
}

export interface MarketDataMetrics {
  updates: Counter<'outcome' | 'code'>;
  exclusions: Counter<'symbol' | 'source'>;
  alerts: Counter<'kind' | 'severity'>;
  halts: Counter<'symbol' | 'reason'>;
}

const STATUSES: readonly PriceStatus[] = ['ok', 'stale', 'halted', 'unknown'];
const SOURCE_STATES: readonly SourceState[] = ['used', 'excluded', 'stale', 'flatline'];

export function createMarketDataMetrics(registry: Registry, health: () => SymbolHealth[]): MarketDataMetrics {
  new Gauge({
    name: 'q2_marketdata_reference_price', help: 'Reference price served (the last approved one while halted)', labelNames: ['symbol'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const h of health()) if (h.price !== null) this.set({ symbol: h.symbol }, Number(h.price));
    },
  });
  new Gauge({
    name: 'q2_marketdata_status', help: 'Reference price status: 1 for the current status of each symbol', labelNames: ['symbol', 'status'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const h of health()) for (const status of STATUSES) this.set({ symbol: h.symbol, status }, h.status === status ? 1 : 0);
    },
  });
  new Gauge({
    name: 'q2_marketdata_sources', help: 'Sources per symbol by state (used, excluded, stale, flatline)', labelNames: ['symbol', 'state'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const h of health()) {
        for (const state of SOURCE_STATES) this.set({ symbol: h.symbol, state }, h.aggregate?.sources.filter((s) => s.state === state).length ?? 0);
      }
    },
  });
  new Gauge({
    name: 'q2_marketdata_quorum', help: 'Effective quorum per symbol', labelNames: ['symbol'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const h of health()) if (h.aggregate) this.set({ symbol: h.symbol }, h.aggregate.quorum);
    },
  });
  new Gauge({
    name: 'q2_marketdata_source_age_seconds', help: 'Age of each source\'s latest observation', labelNames: ['symbol', 'source'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const h of health()) for (const s of h.aggregate?.sources ?? []) this.set({ symbol: h.symbol, source: s.sourceId }, Math.max(0, h.now - s.timestamp) / 1000);
    },
  });
  return {
    updates: new Counter({ name: 'q2_marketdata_updates_total', help: 'Signed price updates by outcome and rejection code', labelNames: ['outcome', 'code'] as const, registers: [registry] }),
    exclusions: new Counter({ name: 'q2_marketdata_exclusions_total', help: 'Updates excluded from the median for deviating from it', labelNames: ['symbol', 'source'] as const, registers: [registry] }),
    alerts: new Counter({ name: 'q2_marketdata_alerts_total', help: 'Market-data alerts by kind and severity', labelNames: ['kind', 'severity'] as const, registers: [registry] }),
    halts: new Counter({ name: 'q2_marketdata_halts_total', help: 'Halts recorded by this replica, by reason', labelNames: ['symbol', 'reason'] as const, registers: [registry] }),
  };
}
