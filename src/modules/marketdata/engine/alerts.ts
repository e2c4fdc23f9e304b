/**
 * Market-data security events (`marketdata.*`, consumed by the audit log and, later, alerting).
 * Alerts carry a kind and a severity; the ones that repeat while a condition lasts (flat-line,
 * repeated exclusion) are de-duplicated across replicas with a shared `setIfAbsent` key, so one
 * condition is one alert per period, not one per replica or per update.
 */
import type { SecurityEventBus } from '../../../lib/events/index.js';
import type { StateStore } from '../../../lib/state/index.js';

export const MARKETDATA_EVENTS = {
  sourceRegistered: 'marketdata.source_registered',
  sourceRevoked: 'marketdata.source_revoked',
  symbolConfigured: 'marketdata.symbol_configured',
  updateRejected: 'marketdata.update_rejected',
  sourceExcluded: 'marketdata.source_excluded',
  alert: 'marketdata.alert',
  halted: 'marketdata.halted',
  resumed: 'marketdata.resumed',
} as const;

export type AlertKind = 'jump' | 'divergence' | 'quorum_lost' | 'flatline' | 'repeated_exclusion';
export type Severity = 'low' | 'medium' | 'high' | 'critical';

export const ALERT_SEVERITY: Readonly<Record<AlertKind, Severity>> = {
  jump: 'critical',
  divergence: 'critical',
  quorum_lost: 'high',
  repeated_exclusion: 'high',
  flatline: 'medium',
};

export interface Alerter {
  /** Emits `marketdata.alert`; with `dedupe`, at most once per key and period across replicas. */
  alert(kind: AlertKind, symbol: string, details: Record<string, unknown>, dedupe?: { key: string; ms: number }): Promise<void>;
}

export interface AlerterDeps {
  events: SecurityEventBus;
  state: StateStore;
  count(kind: AlertKind, severity: Severity): void;
  onProblem(what: string, error?: unknown): void;
}

export function createAlerter(deps: AlerterDeps): Alerter {
  return {
    async alert(kind, symbol, details, dedupe) {
      if (dedupe) {
        let first = true;
        try {
          first = await deps.state.setIfAbsent(`md:alerted:${kind}:${dedupe.key}`, '1', dedupe.ms);
        } catch (error) {
          // Better a duplicate alert than a lost one.
          deps.onProblem('alert de-duplication failed', error);
        }
        if (!first) return;
      }
      deps.count(kind, ALERT_SEVERITY[kind]);
      deps.events.emit({
        type: MARKETDATA_EVENTS.alert, actor: 'system', target: symbol, outcome: 'info',
        details: { kind, severity: ALERT_SEVERITY[kind], symbol, ...details },
      });
    },
  };
}
