/**
 * Client risk scores, shared by every replica. The record lives in the StateStore
 * (`net:risk:<client>`) and is changed only by compare-and-swap, so concurrent signals on
 * several replicas all count and each tier change is announced exactly once. Every update is
 * published, and each replica keeps the latest record per client in a bounded cache: reading
 * a client's factor on the request path is a Map lookup, never a round trip.
 *
 * Decay is continuous, so a tier can relax with no signal at all. The request path notices
 * (the cached record's decayed tier differs from its announced tier) and asks for a `settle`,
 * which rewrites the record by CAS; the winner announces the change.
 */
import type { Clock } from '../../lib/clock/index.js';
import type { SecurityEventBus } from '../../lib/events/index.js';
import type { StateStore } from '../../lib/state/index.js';
import type { AdaptiveConfig, SignalKind } from './config.js';
import { applySignal, decayedScore, factorFor, recordTtlMs, tierFor, type RiskRecord } from './risk.js';
import { createBoundedMap } from './bounded-map.js';

export const RISK_CHANNEL = 'net:risk';
const MAX_CAS_ATTEMPTS = 8;

export interface SignalOptions {
  /** Replaces the configured weight (anomaly scores, alert severities). */
  weight?: number;
  ip?: string | null;
  requestId?: string | null;
}

export interface RiskTracker {
  /** The limit factor for a client now (cache only). */
  factor(clientKey: string): number;
  /** The current record, if this replica knows one. */
  peek(clientKey: string): RiskRecord | null;
  record(clientKey: string, kind: SignalKind | null, options?: SignalOptions): Promise<RiskRecord>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface RiskTrackerOptions {
  state: StateStore;
  events: SecurityEventBus;
  clock: Clock;
  config: AdaptiveConfig;
  maxTracked: number;
  onError(error: unknown, what: string): void;
}

function parseRecord(raw: string | null): RiskRecord | null {
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as Partial<RiskRecord>;
    if (typeof value.score === 'number' && typeof value.at === 'number' && typeof value.tier === 'string') {
      return { score: value.score, at: value.at, tier: value.tier };
    }
  } catch {
    // fall through: a corrupt record is treated as absent and overwritten
  }
  return null;
}

export function createRiskTracker(options: RiskTrackerOptions): RiskTracker {
  const { state, events, clock, config } = options;
  const cache = createBoundedMap<string, RiskRecord>(options.maxTracked);
  const settling = new Set<string>();
  const neutralTier = tierFor(0, config.tiers).name;
  const neutralFactor = factorFor(0, config);
  let unsubscribe: (() => Promise<void>) | undefined;

  async function record(clientKey: string, kind: SignalKind | null, signal: SignalOptions = {}): Promise<RiskRecord> {
    const key = `net:risk:${clientKey}`;
    const weight = kind === null ? 0 : signal.weight ?? config.weights[kind];
    if (!Number.isFinite(weight)) throw new TypeError('signal weight must be a finite number');
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const raw = await state.get(key);
      const previous = parseRecord(raw);
      const now = clock.now();
      const { score, at } = applySignal(previous, weight, now, config);
      const tier = tierFor(score, config.tiers).name;
      const announced = previous?.tier ?? neutralTier;
      const next: RiskRecord = { score, at, tier };
      if (!(await state.compareAndSwap(key, raw, JSON.stringify(next), recordTtlMs(score, config.halfLifeMs)))) continue;
      cache.set(clientKey, next);
      if (tier !== announced) {
        events.emit({
          type: 'network.risk_tier_changed',
          actor: 'system',
          target: clientKey,
          outcome: 'info',
          ip: signal.ip ?? null,
          requestId: signal.requestId ?? null,
          details: { from: announced, to: tier, score: Math.round(score * 100) / 100, signal: kind ?? 'decay', factor: factorFor(score, config) },
        });
      }
      try {
        await state.publish(RISK_CHANNEL, JSON.stringify({ key: clientKey, ...next }));
      } catch (error) {
        options.onError(error, 'publish risk record');
      }
      return next;
    }
    throw new Error('risk record contended; signal not recorded');
  }

  function settle(clientKey: string): void {
    if (settling.has(clientKey)) return;
    settling.add(clientKey);
    record(clientKey, null)
      .catch((error: unknown) => options.onError(error, 'settle risk tier'))
      .finally(() => settling.delete(clientKey));
  }

  return {
    factor(clientKey) {
      const cached = cache.get(clientKey);
      if (cached === undefined) return neutralFactor;
      const score = decayedScore(cached, clock.now(), config.halfLifeMs);
      if (tierFor(score, config.tiers).name !== cached.tier) settle(clientKey);
      return factorFor(score, config);
    },
    peek: (clientKey) => cache.get(clientKey) ?? null,
    record,
    async start() {
      unsubscribe = await state.subscribe(RISK_CHANNEL, (raw) => {
        try {
          const message = JSON.parse(raw) as RiskRecord & { key: string };
          const parsed = parseRecord(JSON.stringify(message));
          if (typeof message.key === 'string' && parsed) {
            const known = cache.get(message.key);
            // Messages can arrive out of order; keep the newer record.
            if (!known || known.at <= parsed.at) cache.set(message.key, parsed);
          }
        } catch (error) {
          options.onError(error, 'apply risk message');
        }
      });
    },
    async stop() {
      await unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}
