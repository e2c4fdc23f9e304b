/**
 * The one path every signed update takes, pushed or pulled (SPEC §6):
 *
 * 0. the registry is brought up to date if any replica changed it (one shared-store read);
 * 1. verifyPriceUpdate (pure): source, signature, symbol, timestamp window, precision, bounds;
 * 2. sequence, time order and step, atomically with the write (store/observations.ts CAS);
 * 3. the replica's view is updated and the observation published to the other replicas;
 * 4. the symbol is re-evaluated (median, exclusion, anomalies, halts — engine/monitor.ts);
 * 5. an update whose own source ended up excluded is counted in a shared sliding window: the
 *    first exclusion of a window flags the source (`marketdata.source_excluded`), reaching
 *    `exclusionAlertCount` escalates to a `repeated_exclusion` alert.
 *
 * Every rejection is a `marketdata.update_rejected` security event. Accepted updates are
 * counted in metrics only (at feed rates, one audit entry each would drown the log).
 */
import type { Clock } from '../../../lib/clock/index.js';
import type { SecurityEventBus } from '../../../lib/events/index.js';
import type { PriceStatus } from '../../../lib/pricing/index.js';
import type { StateStore } from '../../../lib/state/index.js';
import { MARKETDATA_EVENTS, type Alerter } from '../engine/alerts.js';
import type { Monitor } from '../engine/monitor.js';
import type { SignedPriceUpdate } from '../feed/update.js';
import { checkSequence, checkStep, checkTimeOrder, verifyPriceUpdate, type Rejection } from '../feed/verify.js';
import type { MarketDataMetrics } from '../metrics.js';
import type { SymbolPolicy } from '../policy.js';
import type { ObservationStore } from '../store/observations.js';
import type { Registry } from '../store/registry.js';

export interface IngestContext {
  via: 'push' | 'pull';
  ip: string | null;
  requestId: string | null;
}

export type IngestResult = { ok: true; sourceId: string; symbol: string; sequence: number; status: PriceStatus } | Rejection;

export interface IngestDeps {
  registry: Registry;
  observations: ObservationStore;
  monitor: Monitor;
  events: SecurityEventBus;
  alerter: Alerter;
  state: StateStore;
  clock: Clock;
  metrics: MarketDataMetrics;
  onProblem(what: string, error?: unknown): void;
}

export type Ingest = (update: SignedPriceUpdate, ctx: IngestContext) => Promise<IngestResult>;

export function createIngest(deps: IngestDeps): Ingest {
  const { registry, observations, monitor, events, clock, metrics } = deps;
  // Bound once: labelling a counter per update would hash the label set every time.
  const accepted = metrics.updates.labels('accepted', 'none');

  function rejected(update: SignedPriceUpdate, verdict: Rejection, ctx: IngestContext): Rejection {
    metrics.updates.inc({ outcome: 'rejected', code: verdict.code });
    events.emit({
      type: MARKETDATA_EVENTS.updateRejected,
      // An unauthenticated sourceId is only a claim: it must not put the source on record.
      actor: verdict.authenticated ? `source:${update.sourceId}` : 'anonymous',
      // Unknown source or bad signature: a failed authentication; the rest: a refusal of an
      // authenticated source's update.
      target: update.symbol, outcome: verdict.authenticated ? 'denied' : 'failure', ip: ctx.ip, requestId: ctx.requestId,
      details: { code: verdict.code, claimedSourceId: update.sourceId, symbol: update.symbol, sequence: update.sequence, timestamp: update.timestamp, via: ctx.via },
    });
    return verdict;
  }

  async function countExclusion(update: SignedPriceUpdate, policy: SymbolPolicy, deviation: number | null): Promise<void> {
    const { symbol, sourceId } = update;
    metrics.exclusions.inc({ symbol, source: sourceId });
    const window = await deps.state.slidingWindow(`md:excl:${symbol}:${sourceId}`, policy.exclusionAlertWindowMs, policy.exclusionAlertCount);
    if (!window.allowed) return;
    if (window.count === 1) {
      events.emit({
        type: MARKETDATA_EVENTS.sourceExcluded, actor: 'system', target: symbol, outcome: 'info',
        details: { symbol, sourceId, deviationBps: deviation, maxDeviationBps: policy.maxDeviationBps, price: update.price, sequence: update.sequence },
      });
    }
    if (window.count === policy.exclusionAlertCount) {
      await deps.alerter.alert('repeated_exclusion', symbol, { sourceId, exclusions: window.count, windowMs: policy.exclusionAlertWindowMs });
    }
  }

  return async function ingest(update, ctx) {
    await registry.ensureCurrent();
    const now = clock.now();
    let source = registry.source(update.sourceId);
    let policy = registry.policy(update.symbol);
    if (!source || (source.symbols.has(update.symbol) && !policy)) {
      // Possibly registered by another replica or the CLI moments ago.
      await registry.reloadOnMiss();
      source = registry.source(update.sourceId);
      policy = registry.policy(update.symbol);
    }
    const verdict = verifyPriceUpdate(update, { source, policy, now });
    if (!verdict.ok) return rejected(update, verdict, ctx);
    const symbolPolicy = policy as SymbolPolicy;

    const reference = monitor.reference(update.symbol);
    const advanced = await observations.advance(update.symbol, { sourceId: update.sourceId, price: verdict.price, timestamp: update.timestamp, sequence: update.sequence }, (previous) => {
      const fresh = previous !== null && now - previous.timestamp <= symbolPolicy.sourceStalenessMs;
      return checkSequence(update.sequence, previous?.sequence ?? null)
        ?? checkTimeOrder(update.timestamp, previous?.timestamp ?? null)
        ?? checkStep(verdict.price, fresh ? previous.price : reference, symbolPolicy);
    });
    if (!advanced.ok) return rejected(update, advanced, ctx);

    monitor.apply(update.symbol, advanced.observation);
    observations.publish(update.symbol, update.sourceId, advanced.encoded).catch((error: unknown) => deps.onProblem('observation publish failed', error));
    const evaluation = monitor.evaluate(update.symbol);
    accepted.inc();
    const own = evaluation?.aggregate.sources.find((s) => s.sourceId === update.sourceId);
    if (own?.state === 'excluded') {
      await countExclusion(update, symbolPolicy, own.deviationBps).catch((error: unknown) => deps.onProblem('exclusion accounting failed', error));
    }
    return { ok: true, sourceId: update.sourceId, symbol: update.symbol, sequence: update.sequence, status: evaluation?.quote.status ?? 'unknown' };
  };
}
