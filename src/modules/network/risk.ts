/**
 * Adaptive limits as pure functions. A client's risk score rises with bad signals (failures,
 * signature errors, detection alerts, anomaly scores) and falls with good ones, and decays
 * exponentially toward 0 with a configured half-life, so a client that behaves is forgiven on a
 * known schedule. The score maps to a tier; the tier's factor (clamped to the configured
 * bounds) scales every limit of that client.
 */
import type { AdaptiveConfig, LimitSpec, RiskTier } from './config.js';

export interface RiskRecord {
  /** Score at `at`. */
  score: number;
  /** Unix ms. */
  at: number;
  /** Tier last announced (event emitted) for this client. */
  tier: string;
}

/** The score at `now`: halves every halfLifeMs; values within ±0.01 of 0 count as 0. */
export function decayedScore(record: Pick<RiskRecord, 'score' | 'at'>, now: number, halfLifeMs: number): number {
  const elapsed = Math.max(0, now - record.at);
  const score = record.score * 2 ** (-elapsed / halfLifeMs);
  return Math.abs(score) < 0.01 ? 0 : score;
}

/** Adds `weight` to the decayed score, within [minScore, maxScore]. */
export function applySignal(record: RiskRecord | null, weight: number, now: number, config: AdaptiveConfig): { score: number; at: number } {
  const current = record === null ? 0 : decayedScore(record, now, config.halfLifeMs);
  const score = Math.min(config.maxScore, Math.max(config.minScore, current + weight));
  return { score, at: now };
}

/** The last tier whose minScore ≤ score (the first tier below all thresholds). */
export function tierFor(score: number, tiers: readonly RiskTier[]): RiskTier {
  let chosen = tiers[0] as RiskTier;
  for (const tier of tiers) {
    if (tier.minScore <= score) chosen = tier;
    else break;
  }
  return chosen;
}

/** The tier's factor, clamped to [minFactor, maxFactor]. */
export function factorFor(score: number, config: AdaptiveConfig): number {
  const { factor } = tierFor(score, config.tiers);
  return Math.min(config.maxFactor, Math.max(config.minFactor, factor));
}

/**
 * The limit a client gets: floor(limit × factor), never below 1, so a high-risk client is
 * slowed, never locked out by the limiter alone (locking out is the ban's job, and is an event).
 */
export function scaleLimit(spec: LimitSpec, factor: number): LimitSpec {
  if (factor === 1) return spec;
  return { limit: Math.max(1, Math.floor(spec.limit * factor)), windowMs: spec.windowMs };
}

/** How long a record stays meaningful: until |score| decays below 0.01 (then it is 0 anyway). */
export function recordTtlMs(score: number, halfLifeMs: number): number {
  const magnitude = Math.abs(score);
  if (magnitude < 0.01) return halfLifeMs;
  return Math.ceil(halfLifeMs * Math.log2(magnitude / 0.01)) + halfLifeMs;
}
