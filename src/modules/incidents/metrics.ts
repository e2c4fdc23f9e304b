/**
 * Incident response series (SPEC §7 "time to detect/contain/close is measured"). The names are
 * a contract with the Grafana dashboard and alert rules: keep them exactly.
 * - `q2_incident_response_seconds{phase}`: detect = opened − detected, contain = contained −
 *   detected, close = closed − detected; observed once per incident by the replica that made the
 *   change (sum across replicas).
 * - `q2_incidents_open`: incidents not closed, counted in the shared database at scrape time, so
 *   every replica reports the same cluster-wide number (aggregate with max, not sum).
 */
import { Gauge, Histogram, type Registry } from 'prom-client';

export type ResponsePhase = 'detect' | 'contain' | 'close';

export interface IncidentMetrics {
  observe(phase: ResponsePhase, ms: number): void;
}

/** From 10 s to a week: the 15-minute containment target sits between buckets 600 and 1800. */
const BUCKETS = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400, 259_200, 604_800];

export function createIncidentMetrics(registry: Registry, countOpen: () => Promise<number>, onError: (error: unknown) => void): IncidentMetrics {
  const response = new Histogram({
    name: 'q2_incident_response_seconds',
    help: 'Incident response times from detection: detect (to opening), contain, close',
    labelNames: ['phase'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'q2_incidents_open',
    help: 'Incidents not yet closed (cluster-wide, from the database)',
    registers: [registry],
    async collect() {
      try {
        this.set(await countOpen());
      } catch (error) {
        // A scrape must not fail because the database blinked; the last value stays.
        onError(error);
      }
    },
  });
  return {
    observe(phase, ms) {
      response.observe({ phase }, Math.max(0, ms) / 1000);
    },
  };
}
