import { describe, expect, it } from 'vitest';
import type { Observation } from '../aggregate/aggregate.js';
import { resolvePolicy, type SymbolPolicy } from '../policy.js';
import { EMPTY_MEMORY, evaluateSymbol, type HaltInfo, type SymbolMemory } from './evaluate.js';

const verdict = resolvePolicy('BTC-USD', { minPrice: '1', maxPrice: '1000000', priceDecimals: 2, recoveryMs: 30_000 });
if (!verdict.ok) throw new Error('policy');
const policy: SymbolPolicy = verdict.policy;
const E18 = 10n ** 18n;
const T0 = 1_700_000_000_000;

const feed = (now: number, ...prices: number[]): Observation[] =>
  prices.map((p, i) => ({ sourceId: `s${i}`, price: BigInt(p) * E18, timestamp: now, sequence: now, changedAt: now }));

function run(memory: SymbolMemory, observations: Observation[], now: number, halt: HaltInfo | null = null) {
  return evaluateSymbol({ observations, memory, halt, now, policy, quorum: 3 });
}

describe('evaluateSymbol', () => {
  it('approves the first quorum price without a halt and serves it', () => {
    const e = run(EMPTY_MEMORY, feed(T0, 100, 101, 102), T0);
    expect(e.quote).toEqual({ price: '101', status: 'ok', updatedAt: T0 });
    expect(e.action).toBeNull();
    expect(e.memory.approved?.price).toBe(101n * E18);
  });

  it('serves halted without recording anything before the first approved price', () => {
    const e = run(EMPTY_MEMORY, feed(T0, 100, 101), T0);
    expect(e.quote.status).toBe('halted');
    expect(e.action).toBeNull();
  });

  it('asks for a halt when an approved symbol loses its quorum, and keeps serving the approved price', () => {
    const approved = run(EMPTY_MEMORY, feed(T0, 100, 101, 102), T0).memory;
    const e = run(approved, feed(T0, 100, 101, 102), T0 + 6_000);
    expect(e.quote).toMatchObject({ status: 'halted', price: '101' });
    expect(e.action).toMatchObject({ kind: 'halt', reason: 'quorum_lost' });
  });

  it('halts on a jump of the median and never serves the jumped price', () => {
    const approved = run(EMPTY_MEMORY, feed(T0, 100, 100, 100), T0).memory;
    const e = run(approved, feed(T0 + 1_000, 120, 120, 120), T0 + 1_000);
    expect(e.action).toMatchObject({ kind: 'halt', reason: 'jump' });
    expect(e.quote).toMatchObject({ status: 'halted', price: '100' });
    expect(e.memory.approved?.price).toBe(100n * E18);
  });

  it('resumes only after recoveryMs of continuous health, re-anchored at the recovered price', () => {
    const halt: HaltInfo = { haltId: 'h', reason: 'jump', since: T0 };
    let memory = run(EMPTY_MEMORY, feed(T0, 100, 100, 100), T0).memory;
    let e = run(memory, feed(T0 + 1_000, 120, 120, 120), T0 + 1_000, halt);
    expect(e.memory.healthySince).toBe(T0 + 1_000);
    memory = e.memory;
    // A lapse (quorum lost) restarts the period.
    e = run(memory, feed(T0 + 10_000, 120, 120), T0 + 10_000, halt);
    expect(e.memory.healthySince).toBeNull();
    memory = run(e.memory, feed(T0 + 11_000, 120, 120, 120), T0 + 11_000, halt).memory;
    e = run(memory, feed(T0 + 40_000, 121, 121, 121), T0 + 40_000, halt);
    expect(e.action).toBeNull();
    e = run(e.memory, feed(T0 + 41_000, 121, 121, 121), T0 + 41_000, halt);
    expect(e.action).toEqual({ kind: 'resume' });
    expect(e.quote.status).toBe('halted');
    expect(e.memory.approved?.price).toBe(121n * E18);
  });

  it('does not recover while an outvoted source still disagrees with the new level', () => {
    const halt: HaltInfo = { haltId: 'h', reason: 'jump', since: T0 };
    const memory = run(EMPTY_MEMORY, feed(T0, 100, 100, 100, 100, 100), T0).memory;
    let e = run(memory, feed(T0 + 1_000, 120, 120, 120, 100, 100), T0 + 1_000, halt);
    expect(e.aggregate.status).toBe('ok');
    expect(e.memory.healthySince).toBeNull();
    e = run(e.memory, feed(T0 + 40_000, 120, 120, 120, 100, 100), T0 + 40_000, halt);
    expect(e.action).toBeNull();
  });

  it('restarts recovery when the price keeps jumping while halted', () => {
    const halt: HaltInfo = { haltId: 'h', reason: 'jump', since: T0 };
    const first = run(EMPTY_MEMORY, feed(T0, 100, 100, 100), T0, halt);
    const jumped = run(first.memory, feed(T0 + 20_000, 150, 150, 150), T0 + 20_000, halt);
    expect(jumped.memory.healthySince).toBe(T0 + 20_000);
    expect(jumped.memory.recoveryAnchor).toBe(150n * E18);
  });

  it('asks to record the log-return of approved moves only, never of a halting one', () => {
    let e = run(EMPTY_MEMORY, feed(T0, 100, 100, 100), T0);
    e = run(e.memory, feed(T0 + 1, 100, 100, 100), T0 + 1);
    expect(e.appendReturn).toBeNull();
    e = run(e.memory, feed(T0 + 3, 101, 101, 101), T0 + 3);
    expect(e.appendReturn).toBeCloseTo(Math.log(1.01), 6);
    e = run(e.memory, feed(T0 + 4, 130, 130, 130), T0 + 4);
    expect(e.action?.kind).toBe('halt');
    expect(e.appendReturn).toBeNull();
  });
});
