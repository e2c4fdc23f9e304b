/**
 * In-process DetectionState for a replica whose StateStore is the in-memory one: maps keyed by
 * the raw strings (no hashing, no key concatenation, no JSON), every method synchronous, so
 * each one is atomic by JavaScript's single thread, like the memory StateStore itself.
 *
 * Expiry follows the injected clock (checked on read; a sweep when full). Memory is bounded by
 * `maxEntries` (groups × rules): when full after sweeping expired entries, a new entry is
 * refused with SERVICE_OVERLOADED, as the memory StateStore does — never a silent eviction
 * that would reset an attacker's count.
 */
import type { Clock } from '../../../lib/clock/index.js';
import { AppError } from '../../../lib/errors/index.js';
import type { EventSummary } from '../rules/types.js';
import type { DetectionState } from './detection-state.js';

interface Entry {
  expiresAt: number;
  /** Window hit times, a marker, evidence list or a stored value. */
  data: unknown;
}

export function localDetectionState(clock: Clock, maxEntries = 200_000): DetectionState {
  // rule → family → group(+sub) → entry. Nested, so no per-operation key string is built; each
  // rule's families are created together, so every families object has the same shape.
  type Family = 'w' | 's' | 'd' | 'e' | 'q' | 't' | 'n';
  const tables = new Map<string, Record<Family, Map<string, Entry>>>();
  let size = 0;

  function table(family: Family, rule: string): Map<string, Entry> {
    let families = tables.get(rule);
    if (families === undefined) {
      families = { w: new Map(), s: new Map(), d: new Map(), e: new Map(), q: new Map(), t: new Map(), n: new Map() };
      tables.set(rule, families);
    }
    return families[family];
  }

  function live(t: Map<string, Entry>, key: string, now: number): Entry | undefined {
    const entry = t.get(key);
    if (entry !== undefined && entry.expiresAt <= now) {
      t.delete(key);
      size--;
      return undefined;
    }
    return entry;
  }

  function sweep(now: number): void {
    for (const t of [...tables.values()].flatMap((families) => Object.values(families))) {
      for (const [key, entry] of t) {
        if (entry.expiresAt <= now) {
          t.delete(key);
          size--;
        }
      }
    }
  }

  function put(t: Map<string, Entry>, key: string, entry: Entry, now: number): void {
    if (!t.has(key)) {
      if (size >= maxEntries) sweep(now);
      if (size >= maxEntries) throw new AppError('SERVICE_OVERLOADED', 'Detection state capacity reached');
      size++;
    }
    t.set(key, entry);
  }

  // One result object reused by every window() call: the engine reads it synchronously, before
  // its next call (in-process, every step of an event's evaluation is synchronous).
  const windowResult = { allowed: false, count: 0 };

  return {
    window(rule, group, windowMs, limit) {
      const now = clock.now();
      const t = table('w', rule);
      const entry = live(t, group, now);
      const hits = entry === undefined ? [] : entry.data as number[];
      // Drop expired hits in place: no new array per event.
      let kept = 0;
      let newest = -Infinity;
      for (const at of hits) {
        if (at > now - windowMs) {
          hits[kept++] = at;
          if (at > newest) newest = at;
        }
      }
      hits.length = kept;
      const allowed = hits.length < limit;
      if (allowed) {
        hits.push(now);
        newest = Math.max(newest, now);
      }
      if (hits.length === 0) {
        if (entry !== undefined) { t.delete(group); size--; }
      } else if (entry !== undefined) {
        entry.data = hits;
        entry.expiresAt = newest + windowMs;
      } else {
        put(t, group, { data: hits, expiresAt: now + windowMs }, now);
      }
      windowResult.allowed = allowed;
      windowResult.count = hits.length;
      return windowResult;
    },

    mark(family, rule, group, sub, ttlMs) {
      const now = clock.now();
      const t = table(family, rule);
      const key = family === 'd' ? group : `${group}\u0000${sub}`;
      if (live(t, key, now) !== undefined) return false;
      put(t, key, { data: true, expiresAt: now + ttlMs }, now);
      return true;
    },

    putEvidence(rule, group, index, summary, ttlMs) {
      const now = clock.now();
      const t = table('e', rule);
      const entry = live(t, group, now);
      // Slot i holds the i-th counted event and its expiry (sparse; only the last MAX_EVIDENCE
      // indexes of a window are ever written, so it stays small).
      const slots = entry === undefined ? [] : entry.data as ([EventSummary, number] | undefined)[];
      slots[index] = [summary, now + ttlMs];
      if (entry === undefined) put(t, group, { data: slots, expiresAt: now + ttlMs }, now);
      else entry.expiresAt = now + ttlMs;
    },

    evidence(rule, group, from, to) {
      const now = clock.now();
      const slots = live(table('e', rule), group, now)?.data as ([EventSummary, number] | undefined)[] | undefined;
      const out: EventSummary[] = [];
      for (let i = from; i < to && slots !== undefined; i++) {
        const slot = slots[i];
        if (slot !== undefined && slot[1] > now) out.push(slot[0]);
      }
      return out;
    },

    update<T>(family: 'q' | 't' | 'n', rule: string, group: string, ttlMs: number, update: (previous: T | null) => T | null | undefined) {
      const now = clock.now();
      const t = table(family, rule);
      const entry = live(t, group, now);
      const previous = entry === undefined ? null : entry.data as T;
      const next = update(previous);
      if (next === undefined) return null;
      if (next === null) {
        if (entry !== undefined) { t.delete(group); size--; }
      } else if (entry !== undefined) {
        entry.data = next;
        entry.expiresAt = now + ttlMs;
      } else {
        put(t, group, { data: next, expiresAt: now + ttlMs }, now);
      }
      return { previous, next };
    },
  };
}
