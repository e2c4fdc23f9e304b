/**
 * `createMarketDataCapability(core)`: wires market-data integrity (issue 8, docs/marketdata.md)
 * and exposes `referencePrices` — the ReferencePriceSource port trading's price bands read —
 * plus the programmatic surface (ingest, admin, status changes, maintenance) for the CLI,
 * other capabilities and tests.
 *
 * Background work (timers are unref'd and stopped on close): re-evaluating every symbol each
 * `tickMs` (staleness, quorum loss and recovery happen with time, not only with updates),
 * re-reading observations from the shared store each `resyncMs` (lost pub/sub messages), a full
 * registry reload each `registryResyncMs`, and polling pull sources each `pollIntervalMs`.
 */
import type { ReferencePriceSource } from '../../lib/pricing/index.js';
import type { Capability, PlatformCore } from '../../server/capability.js';
import { createAlerter } from './engine/alerts.js';
import { createMonitor, type StatusChange } from './engine/monitor.js';
import { createPuller, type PollReport, type PriceSourceAdapter } from './feed/puller.js';
import type { SignedPriceUpdate } from './feed/update.js';
import { marketDataRoutes } from './http/routes.js';
import { createMarketDataMetrics } from './metrics.js';
import { createMarketDataAdmin, type MarketDataAdmin } from './service/admin.js';
import { createIngest, type IngestContext, type IngestResult } from './service/ingest.js';
import { createReferencePrices, priceView, type PriceView } from './service/quotes.js';
import { createObservationStore } from './store/observations.js';
import { createRegistry } from './store/registry.js';
import { createMarketDataRepository } from './store/repository.js';

export interface MarketDataCapabilityOptions {
  /** Sources the platform polls (their updates are verified exactly like pushed ones). */
  pullSources?: readonly PriceSourceAdapter[];
  pollIntervalMs?: number;
  pullTimeoutMs?: number;
  /** Re-evaluation period; 0 starts no timers at all (tests drive `tick()` with a manual clock). */
  tickMs?: number;
  resyncMs?: number;
  registryResyncMs?: number;
}

export interface MarketData {
  readonly referencePrices: ReferencePriceSource;
  readonly admin: MarketDataAdmin;
  view(symbol: string): PriceView | null;
  ingest(update: SignedPriceUpdate, ctx?: Partial<IngestContext>): Promise<IngestResult>;
  /** Fired on every replica when a symbol is halted or resumed; handlers must be idempotent. */
  onStatusChange(listener: (change: StatusChange) => void): () => void;
  /** One maintenance round: observation resync, re-evaluation, and the actions it triggers. */
  tick(): Promise<void>;
  pollSources(): Promise<PollReport[]>;
  /** Resolves once pending halts, resumes and alerts are recorded. */
  settle(): Promise<void>;
}

export interface MarketDataCapability extends Capability {
  marketData: MarketData;
  referencePrices: ReferencePriceSource;
}

export async function createMarketDataCapability(core: PlatformCore, options: MarketDataCapabilityOptions = {}): Promise<MarketDataCapability> {
  const { clock, events, state, logger } = core;
  const onProblem = (what: string, error?: unknown) => logger.warn({ err: error, what }, 'market-data problem');
  const repository = createMarketDataRepository(core.db.kysely);
  const registry = createRegistry({ repository, state, now: () => clock.now(), onProblem });
  const observations = createObservationStore(state);
  // The metrics read the monitor, which needs the metrics: the health callback closes over it.
  let healthOf: () => ReturnType<typeof monitor.health> = () => [];
  const metrics = createMarketDataMetrics(core.metrics, () => healthOf());
  const alerter = createAlerter({ events, state, onProblem, count: (kind, severity) => metrics.alerts.inc({ kind, severity }) });
  const monitor = createMonitor({ registry, repository, events, alerter, clock, metrics, onProblem });
  healthOf = () => monitor.health();
  const ingest = createIngest({ registry, observations, monitor, events, alerter, state, clock, metrics, onProblem });
  const admin = createMarketDataAdmin({ repository, registry, events, clock });
  const puller = createPuller({
    adapters: options.pullSources ?? [], ingest, ...(options.pullTimeoutMs ? { timeoutMs: options.pullTimeoutMs } : {}),
    onReport: (report) => { if (report.error) onProblem(`pull source ${report.adapter} failed: ${report.error}`); },
  });

  async function resync(): Promise<void> {
    for (const symbol of registry.symbols()) {
      let changed = false;
      for (const sourceId of registry.sourcesFor(symbol)) {
        const observation = await observations.load(symbol, sourceId);
        if (observation && monitor.apply(symbol, observation)) changed = true;
      }
      if (changed) monitor.evaluate(symbol);
    }
  }

  await registry.start();
  await resync();
  const unsubscribe = await observations.subscribe((symbol, observation) => {
    if (monitor.apply(symbol, observation)) monitor.evaluate(symbol);
  });

  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, work: () => unknown) => {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      Promise.resolve().then(work).catch((error: unknown) => onProblem('market-data maintenance failed', error)).finally(() => { running = false; });
    }, ms);
    timer.unref();
    timers.push(timer);
  };
  const tickMs = options.tickMs ?? 500;
  if (tickMs > 0) {
    every(tickMs, () => monitor.tick());
    every(options.resyncMs ?? 5_000, resync);
    every(options.registryResyncMs ?? 30_000, () => registry.reload());
    if ((options.pullSources ?? []).length > 0) every(options.pollIntervalMs ?? 1_000, () => puller.pollOnce());
  }

  const referencePrices = createReferencePrices(monitor);
  const marketData: MarketData = {
    referencePrices,
    admin,
    view: (symbol) => priceView(monitor, symbol),
    ingest: (update, ctx = {}) => ingest(update, { via: ctx.via ?? 'push', ip: ctx.ip ?? null, requestId: ctx.requestId ?? null }),
    onStatusChange: (listener) => monitor.onStatusChange(listener),
    async tick() {
      await resync();
      monitor.tick();
      await monitor.settle();
    },
    pollSources: () => puller.pollOnce(),
    settle: () => monitor.settle(),
  };

  return {
    name: 'marketdata',
    marketData,
    referencePrices,
    routes: [marketDataRoutes({ ingest, admin, monitor, clock })],
    async close() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      await unsubscribe();
      await monitor.settle();
      await registry.stop();
    },
  };
}
