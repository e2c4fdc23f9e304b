/**
 * The reference price of one symbol at one instant, as a pure function of the sources' latest
 * observations (SPEC §6; exchange index rules, Pyth/Chainlink aggregation):
 *
 * 1. Fresh: a source whose timestamp is older than `sourceStalenessMs` is dropped.
 * 2. Flat-lined: a fresh source whose price has not changed for `flatlineMs` while most of the
 *    other fresh sources moved away from it is set aside (a stuck feed is not evidence).
 * 3. Quorum: fewer remaining sources than the quorum → halted (`quorum_lost`).
 * 4. Exclusion: a source more than `maxDeviationBps` from the median of the remaining ones is
 *    excluded; if fewer than the quorum agree → halted (`divergence`).
 * 5. Price: the median of the agreeing sources — always within their minimum and maximum.
 * 6. Heartbeat: `updatedAt` is the time by which a quorum of them had reported (the quorum-th
 *    newest timestamp); older than `heartbeatMs` → stale.
 */
import type { SymbolPolicy } from '../policy.js';
import { deviatesBeyond, deviationBps, medianPrice } from './median.js';

export interface Observation {
  sourceId: string;
  /** At PRICE_SCALE. */
  price: bigint;
  /** Unix ms at the source. */
  timestamp: number;
  sequence: number;
  /** Source time at which this source's price last changed (flat-line detection). */
  changedAt: number;
}

export type SourceState = 'used' | 'excluded' | 'stale' | 'flatline';

export interface SourceView {
  sourceId: string;
  price: bigint;
  timestamp: number;
  state: SourceState;
  /** Distance from the pre-exclusion median in bps, for excluded sources; null otherwise. */
  deviationBps: number | null;
}

export type AggregateReason = 'quorum_lost' | 'divergence';

export interface Aggregate {
  status: 'ok' | 'stale' | 'halted';
  reason: AggregateReason | null;
  /** Median of the used sources; null when halted. */
  price: bigint | null;
  updatedAt: number | null;
  quorum: number;
  sources: SourceView[];
}

export type AggregatePolicy = Pick<SymbolPolicy, 'sourceStalenessMs' | 'heartbeatMs' | 'maxDeviationBps' | 'flatlineMs' | 'unit'>;

/**
 * Flat when unchanged for flatlineMs while a strict majority of the other fresh sources changed
 * since and the others' median is no longer this source's price: the market moved, the source
 * did not. A quiet market where nobody moves, or one that moved and came back, flags nobody.
 */
export function isFlatlined(obs: Observation, fresh: readonly Observation[], now: number, flatlineMs: number): boolean {
  if (flatlineMs <= 0 || now - obs.changedAt < flatlineMs) return false;
  const others = fresh.filter((o) => o.sourceId !== obs.sourceId);
  const moved = others.filter((o) => o.changedAt > obs.changedAt).length;
  return others.length > 0 && moved * 2 > others.length && medianPrice(others.map((o) => o.price)) !== obs.price;
}

/** Source views come back in the order of `observations`; callers sort for display. */
export function aggregate(observations: readonly Observation[], now: number, policy: AggregatePolicy, quorum: number): Aggregate {
  const state: SourceState[] = observations.map((o) => (now - o.timestamp <= policy.sourceStalenessMs ? 'used' : 'stale'));
  const deviation: (number | null)[] = observations.map(() => null);
  const fresh = observations.filter((_, i) => state[i] !== 'stale');
  const candidates: number[] = [];
  observations.forEach((o, i) => {
    if (state[i] === 'stale') return;
    if (isFlatlined(o, fresh, now, policy.flatlineMs)) state[i] = 'flatline';
    else candidates.push(i);
  });
  const result = (status: Aggregate['status'], reason: AggregateReason | null, price: bigint | null, updatedAt: number | null): Aggregate => ({
    status, reason, price, updatedAt, quorum,
    sources: observations.map((o, i) => ({ sourceId: o.sourceId, price: o.price, timestamp: o.timestamp, state: state[i] as SourceState, deviationBps: deviation[i] ?? null })),
  });
  if (candidates.length < quorum || candidates.length === 0) return result('halted', 'quorum_lost', null, null);

  const pre = medianPrice(candidates.map((i) => (observations[i] as Observation).price), policy.unit);
  const used: Observation[] = [];
  for (const i of candidates) {
    const o = observations[i] as Observation;
    if (deviatesBeyond(o.price, pre, policy.maxDeviationBps)) {
      state[i] = 'excluded';
      // The exact distance is only reported for excluded sources (events); it costs a division.
      deviation[i] = deviationBps(o.price, pre);
    } else {
      used.push(o);
    }
  }
  if (used.length < quorum || used.length === 0) return result('halted', 'divergence', null, null);

  // Nobody excluded (the usual case): the median is the one just computed.
  const price = used.length === candidates.length ? pre : medianPrice(used.map((o) => o.price), policy.unit);
  const newestFirst = used.map((o) => o.timestamp).sort((a, b) => b - a);
  const updatedAt = newestFirst[quorum - 1] ?? (newestFirst[newestFirst.length - 1] as number);
  return result(now - updatedAt > policy.heartbeatMs ? 'stale' : 'ok', null, price, updatedAt);
}
