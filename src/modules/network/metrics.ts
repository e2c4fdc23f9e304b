/** Prometheus series of the network layer (SPEC §7: rate-limit hits), on the platform registry. */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface NetworkMetrics {
  refused: Counter<'outcome' | 'class' | 'dimension'>;
  pressure: Gauge;
  connectionsRefused: Counter;
  slowClients: Counter<'phase'>;
  storeFallbacks: Counter;
}

export function createNetworkMetrics(registry: Registry, pressure: () => number): NetworkMetrics {
  return {
    refused: new Counter({
      name: 'q2_network_refused_total',
      help: 'Requests refused by the network layer, by outcome (rate_limited, ip_blocked, shed, banned), route class and dimension',
      labelNames: ['outcome', 'class', 'dimension'] as const,
      registers: [registry],
    }),
    pressure: new Gauge({
      name: 'q2_network_load_pressure',
      help: 'Load-shedding pressure, 0 (none) to 1 (shed all)',
      registers: [registry],
      collect() {
        this.set(pressure());
      },
    }),
    connectionsRefused: new Counter({ name: 'q2_network_connections_refused_total', help: 'TCP connections refused by the per-address cap', registers: [registry] }),
    slowClients: new Counter({
      name: 'q2_network_slow_clients_total',
      help: 'Connections dropped for sending headers or bodies too slowly',
      labelNames: ['phase'] as const,
      registers: [registry],
    }),
    storeFallbacks: new Counter({ name: 'q2_network_store_fallback_total', help: 'Limiter decisions taken by the per-process fallback because the shared store failed', registers: [registry] }),
  };
}
