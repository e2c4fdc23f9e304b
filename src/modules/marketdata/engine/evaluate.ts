/**
 * One evaluation of a symbol: the aggregate, jump detection against the last approved reference,
 * and the halt state machine, as a pure function returning the quote to serve, the symbol's new
 * memory and at most one action for the caller to carry out (record a halt, lift it).
 *
 *   running ──(quorum lost | divergence | jump)──▶ halted ──(healthy for recoveryMs | admin)──▶ running
 *
 * While halted the quote is `halted` with the last approved price, so nothing that happened
 * after the halt (an attacker's value included) can reach a price band. "Healthy" means an `ok`
 * aggregate in which every fresh source agrees (none excluded or flat-lined) and which has not
 * moved more than `jumpMaxBps` from where the healthy period began; any lapse restarts it. A symbol that never had an approved price and lacks a quorum is
 * `halted` too but records no halt: there is nothing to recover from yet.
 */
import type { ReferencePriceQuote } from '../../../lib/pricing/index.js';
import { formatDecimal } from '../../../lib/money/decimal.js';
import { aggregate, type Aggregate, type AggregateReason, type Observation } from '../aggregate/aggregate.js';
import { deviatesBeyond } from '../aggregate/median.js';
import { detectJump, logReturn, type JumpVerdict } from '../anomaly/jump.js';
import { PRICE_SCALE, type SymbolPolicy } from '../policy.js';

export type HaltReason = AggregateReason | 'jump';

export interface HaltInfo {
  haltId: string;
  reason: HaltReason;
  /** Unix ms. */
  since: number;
}

export interface SymbolMemory {
  /** The last reference price this replica approved (served while halted). */
  approved: { price: bigint; updatedAt: number } | null;
  /** Log-returns between successive different approved prices, oldest first (≤ volatilityWindow). */
  returns: readonly number[];
  healthySince: number | null;
  recoveryAnchor: bigint | null;
}

export const EMPTY_MEMORY: SymbolMemory = Object.freeze({ approved: null, returns: Object.freeze([]) as readonly number[], healthySince: null, recoveryAnchor: null });

export type Action =
  | { kind: 'halt'; reason: HaltReason; jump: JumpVerdict | null; from: bigint | null; to: bigint | null }
  | { kind: 'resume' };

export interface Evaluation {
  aggregate: Aggregate;
  quote: Omit<ReferencePriceQuote, 'symbol'>;
  /** The new memory; its `returns` is the input window unchanged (see `appendReturn`). */
  memory: SymbolMemory;
  /**
   * The log-return to append to the window when a new, different price was approved. The
   * window is the caller's to extend (monitor.ts keeps it in place), so an evaluation never
   * copies it.
   */
  appendReturn: number | null;
  action: Action | null;
}

export interface EvaluateInput {
  observations: readonly Observation[];
  memory: SymbolMemory;
  halt: HaltInfo | null;
  now: number;
  policy: SymbolPolicy;
  quorum: number;
}

const price = (value: bigint | null | undefined) => (value === null || value === undefined ? null : formatDecimal(value, PRICE_SCALE));

function haltedQuote(memory: SymbolMemory): Evaluation['quote'] {
  return { price: price(memory.approved?.price), status: 'halted', updatedAt: memory.approved?.updatedAt ?? null };
}

function whileHalted(agg: Aggregate, input: EvaluateInput): Evaluation {
  const { memory, now, policy } = input;
  const quote = haltedQuote(memory);
  // Recovery needs every fresh source to agree, not just a quorum: honest sources still
  // excluded for disagreeing with a (possibly captured) majority keep the symbol halted.
  const agreeing = agg.sources.every((s) => s.state === 'used' || s.state === 'stale');
  if (agg.status !== 'ok' || agg.price === null || !agreeing) {
    return { aggregate: agg, quote, memory: { ...memory, healthySince: null, recoveryAnchor: null }, appendReturn: null, action: null };
  }
  const unstable = memory.recoveryAnchor !== null && deviatesBeyond(agg.price, memory.recoveryAnchor, policy.jumpMaxBps);
  if (memory.healthySince === null || memory.recoveryAnchor === null || unstable) {
    return { aggregate: agg, quote, memory: { ...memory, healthySince: now, recoveryAnchor: agg.price }, appendReturn: null, action: null };
  }
  if (now - memory.healthySince < policy.recoveryMs) return { aggregate: agg, quote, memory, appendReturn: null, action: null };
  // Resuming re-anchors at the recovered price; the halting move never enters the window.
  const resumed: SymbolMemory = { approved: { price: agg.price, updatedAt: agg.updatedAt as number }, returns: memory.returns, healthySince: null, recoveryAnchor: null };
  return { aggregate: agg, quote, memory: resumed, appendReturn: null, action: { kind: 'resume' } };
}

export function evaluateSymbol(input: EvaluateInput): Evaluation {
  const { observations, memory, halt, now, policy, quorum } = input;
  const agg = aggregate(observations, now, policy, quorum);
  if (halt) return whileHalted(agg, input);
  if (agg.status === 'halted' || agg.price === null) {
    const action: Action | null = memory.approved ? { kind: 'halt', reason: agg.reason ?? 'quorum_lost', jump: null, from: memory.approved.price, to: null } : null;
    return { aggregate: agg, quote: haltedQuote(memory), memory, appendReturn: null, action };
  }
  const approved = memory.approved;
  let appendReturn: number | null = null;
  if (approved && approved.price !== agg.price) {
    const jump = detectJump(approved.price, agg.price, memory.returns, policy);
    if (jump.jump) {
      return { aggregate: agg, quote: haltedQuote(memory), memory, appendReturn: null, action: { kind: 'halt', reason: 'jump', jump, from: approved.price, to: agg.price } };
    }
    appendReturn = logReturn(approved.price, agg.price);
  }
  const next: SymbolMemory = { approved: { price: agg.price, updatedAt: agg.updatedAt as number }, returns: memory.returns, healthySince: null, recoveryAnchor: null };
  return { aggregate: agg, quote: { price: price(agg.price), status: agg.status, updatedAt: agg.updatedAt }, memory: next, appendReturn, action: null };
}
