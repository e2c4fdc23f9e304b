/**
 * Jump detection: a move of the reference price beyond a volatility-scaled threshold (a robust
 * z-score over a rolling window of log-returns, median/MAD after Hampel), bounded below and above
 * by fixed limits in the spirit of US limit-up/limit-down bands:
 *
 *   move < jumpMinBps               → never a jump (tiny moves in a dead-calm market)
 *   move > jumpMaxBps               → always a jump (whatever the recent volatility)
 *   otherwise, with ≥ minSamples    → a jump when |r − median| / (1.4826 · MAD) > jumpZ
 *
 * Floating point is used for the statistic only: log-returns and their median/MAD decide
 * whether to halt, never what a price is. The move in bps is exact integer arithmetic.
 */
import type { SymbolPolicy } from '../policy.js';
import { deviationBps } from '../aggregate/median.js';

/** 1.4826 · MAD estimates σ for normally distributed returns. */
const MAD_TO_SIGMA = 1.4826;
/** Floor on σ (1 bp): a window of identical returns would otherwise make every move infinite. */
const MIN_SIGMA = 1e-4;

export interface JumpVerdict {
  jump: boolean;
  /** |to − from| in bps of `from`. */
  moveBps: number;
  /** Robust z-score, or null when the window was too short to use. */
  z: number | null;
}

export type JumpPolicy = Pick<SymbolPolicy, 'jumpZ' | 'jumpMinBps' | 'jumpMaxBps' | 'volatilityMinSamples'>;

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Natural log-return between two positive scaled prices (statistic only). */
export function logReturn(from: bigint, to: bigint): number {
  return Math.log(Number(to) / Number(from));
}

/** Robust z-score of `r` against `window` (median and MAD); null for an empty window. */
export function robustZ(r: number, window: readonly number[]): number | null {
  if (window.length === 0) return null;
  const median = medianOf(window);
  const mad = medianOf(window.map((x) => Math.abs(x - median)));
  const sigma = Math.max(MAD_TO_SIGMA * mad, MIN_SIGMA);
  return Math.abs(r - median) / sigma;
}

export function detectJump(from: bigint, to: bigint, returns: readonly number[], policy: JumpPolicy): JumpVerdict {
  const moveBps = deviationBps(to, from);
  if (moveBps < policy.jumpMinBps) return { jump: false, moveBps, z: null };
  if (moveBps > policy.jumpMaxBps) return { jump: true, moveBps, z: robustZ(logReturn(from, to), returns) };
  if (returns.length < policy.volatilityMinSamples) return { jump: false, moveBps, z: null };
  const z = robustZ(logReturn(from, to), returns) as number;
  return { jump: z > policy.jumpZ, moveBps, z };
}
