/**
 * The state operations the rule engine needs, as one small port with two adapters:
 *  - `sharedDetectionState` over the StateStore (Redis in a cluster): string keys with hashed
 *    group values, JSON values, compare-and-swap updates, so replicas count together;
 *  - `localDetectionState` (./local-detection-state.ts) for a memory StateStore: the same
 *    semantics on plain in-process maps keyed by the raw strings, with no hashing, no JSON and
 *    no per-operation promise, which is what lets one replica run ≥ 100,000 events/s.
 * A memory StateStore is process-local anyway, so nothing is lost by not going through it.
 *
 * Every method is one atomic step, as in the StateStore contract. Families: `w` windows,
 * `s` distinct-value markers, `d` dedup markers, `e` evidence, `q`/`t`/`n` JSON-like values
 * (sequence progress, last location, value history).
 */
import { createHash } from 'node:crypto';

import type { StateStore } from '../../../lib/state/index.js';
import type { EventSummary } from '../rules/types.js';

export type MaybePromise<T> = T | Promise<T>;

/** Continues with the value now when it is already there (in-process state), later when it is a promise. */
export function andThen<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

export interface DetectionState {
  /** Sliding window of hits for (rule, group): records this one if fewer than `limit` are live. */
  window(rule: string, group: string, windowMs: number, limit: number): MaybePromise<{ allowed: boolean; count: number }>;
  /** Set-if-absent marker for (rule, group[, sub]): true for exactly one caller per TTL. */
  mark(family: 'd' | 's', rule: string, group: string, sub: string, ttlMs: number): MaybePromise<boolean>;
  /** Best effort, never awaited: the i-th counted event of (rule, group). */
  putEvidence(rule: string, group: string, index: number, summary: EventSummary, ttlMs: number): void;
  /** Stored evidence with index in [from, to), in index order. */
  evidence(rule: string, group: string, from: number, to: number): MaybePromise<EventSummary[]>;
  /**
   * Atomic read-modify-write of a value: `update(previous)` returns the next value, null to
   * delete, or undefined to leave it. Resolves to the replaced and the written value, or null
   * when nothing was written (left as is, or lost to other writers every time).
   */
  update<T>(family: 'q' | 't' | 'n', rule: string, group: string, ttlMs: number, update: (previous: T | null) => T | null | undefined):
    MaybePromise<{ previous: T | null; next: T | null } | null>;
}

const ATTEMPTS = 5;
const HASH_CACHE_SIZE = 50_000;

/** Over the shared StateStore; group keys and values are SHA-256-hashed (attacker-chosen strings). */
export function sharedDetectionState(state: StateStore): DetectionState {
  // The same addresses and accounts recur: hash each string once (bounded; cleared when full).
  const hashes = new Map<string, string>();
  const h = (value: string): string => {
    let hashed = hashes.get(value);
    if (hashed === undefined) {
      if (hashes.size >= HASH_CACHE_SIZE) hashes.clear();
      hashed = createHash('sha256').update(value).digest('base64url').slice(0, 22);
      hashes.set(value, hashed);
    }
    return hashed;
  };
  // One event usually counts for several rules: serialise its summary once.
  let lastSummary: EventSummary | null = null;
  let lastJson = '';

  return {
    window: (rule, group, windowMs, limit) => state.slidingWindow(`det:w:${rule}:${h(group)}`, windowMs, limit),
    mark: (family, rule, group, sub, ttlMs) =>
      state.setIfAbsent(family === 'd' ? `det:d:${rule}:${h(group)}` : `det:s:${rule}:${h(group)}:${h(sub)}`, '1', ttlMs),
    putEvidence(rule, group, index, summary, ttlMs) {
      if (summary !== lastSummary) {
        lastSummary = summary;
        lastJson = JSON.stringify(summary);
      }
      // Writes on one connection stay ordered, so the alert's later read sees them; a lost
      // write only shortens the evidence.
      state.set(`det:e:${rule}:${h(group)}:${index}`, lastJson, ttlMs).catch(() => undefined);
    },
    async evidence(rule, group, from, to) {
      const out: EventSummary[] = [];
      for (let i = from; i < to; i++) {
        const raw = await state.get(`det:e:${rule}:${h(group)}:${i}`);
        if (raw !== null) out.push(JSON.parse(raw) as EventSummary);
      }
      return out;
    },
    async update<T>(family: 'q' | 't' | 'n', rule: string, group: string, ttlMs: number, update: (previous: T | null) => T | null | undefined) {
      const key = `det:${family}:${rule}:${h(group)}`;
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const raw = await state.get(key);
        const previous = raw === null ? null : JSON.parse(raw) as T;
        const next = update(previous);
        if (next === undefined) return null;
        if (await state.compareAndSwap(key, raw, next === null ? null : JSON.stringify(next), ttlMs)) return { previous, next };
      }
      return null;
    },
  };
}
