/**
 * Each source's latest accepted observation per symbol, in the shared StateStore (Redis when
 * configured), so that replay protection holds across replicas: the sequence check and the
 * write are one compare-and-swap on `md:obs:<symbol>:<sourceId>`. Of two replicas accepting
 * the same (or an older) sequence concurrently, exactly one swap succeeds; the loser re-reads,
 * sees a sequence ≥ its own and rejects the update as a replay.
 *
 * The key never expires: the sequence must outlive any message that could still be replayed.
 * Accepted observations are also published on `md:obs` so every replica's in-process view is
 * current within one pub/sub hop; a periodic resync (`load`) covers lost messages.
 */
import { randomUUID } from 'node:crypto';
import type { StateStore } from '../../../lib/state/index.js';
import type { Observation } from '../aggregate/aggregate.js';
import { SOURCE_ID, SYMBOL } from '../feed/update.js';
import type { Rejection } from '../feed/verify.js';

export const OBSERVATION_CHANNEL = 'md:obs';
const MAX_ATTEMPTS = 5;

/** `p` is the price as the base-10 PRICE_SCALE integer (cheaper than a decimal both ways). */
interface Stored {
  p: string;
  t: number;
  s: number;
  c: number;
}

const key = (symbol: string, sourceId: string) => `md:obs:${symbol}:${sourceId}`;
const INTEGER = /^[1-9][0-9]{0,59}$/;

export function encodeObservation(o: Observation): string {
  const stored: Stored = { p: o.price.toString(), t: o.timestamp, s: o.sequence, c: o.changedAt };
  return JSON.stringify(stored);
}

/** Parses a stored or published observation; null when it is not one (never trusted blindly). */
export function decodeObservation(sourceId: string, text: string): Observation | null {
  let v: Partial<Stored>;
  try {
    v = JSON.parse(text) as Partial<Stored>;
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || typeof v.p !== 'string' || !INTEGER.test(v.p)) return null;
  if (![v.t, v.s, v.c].every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) return null;
  return { sourceId, price: BigInt(v.p), timestamp: v.t as number, sequence: v.s as number, changedAt: v.c as number };
}

export type AdvanceResult = { ok: true; observation: Observation; encoded: string; previous: Observation | null } | Rejection;

export interface ObservationStore {
  /**
   * Atomically replaces the stored observation when `check(previous)` passes (it returns a
   * rejection or null); the sequence check belongs in `check`.
   */
  advance(symbol: string, candidate: Omit<Observation, 'changedAt'>, check: (previous: Observation | null) => Rejection | null): Promise<AdvanceResult>;
  load(symbol: string, sourceId: string): Promise<Observation | null>;
  /** Publishes an accepted observation (`encoded` as `advance` returned it) to the other replicas. */
  publish(symbol: string, sourceId: string, encoded: string): Promise<void>;
  /** Receives the other replicas' observations (this instance's own are skipped unparsed). */
  subscribe(handler: (symbol: string, observation: Observation) => void): Promise<() => Promise<void>>;
}

export function createObservationStore(state: StateStore): ObservationStore {
  const instance = randomUUID();
  return {
    async advance(symbol, candidate, check) {
      const k = key(symbol, candidate.sourceId);
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const raw = await state.get(k);
        const previous = raw === null ? null : decodeObservation(candidate.sourceId, raw);
        const rejection = check(previous);
        if (rejection) return rejection;
        const changedAt = previous && previous.price === candidate.price ? previous.changedAt : candidate.timestamp;
        const observation: Observation = { ...candidate, changedAt };
        const encoded = encodeObservation(observation);
        if (await state.compareAndSwap(k, raw, encoded)) return { ok: true, observation, encoded, previous };
      }
      // Every attempt lost to a concurrent writer of the same stream: one of them carried this
      // sequence or a later one, so this update cannot be the newest.
      return { ok: false, code: 'PRICE_SEQUENCE_REPLAYED', detail: 'A concurrent update with this or a later sequence won.', authenticated: true };
    },
    async load(symbol, sourceId) {
      const raw = await state.get(key(symbol, sourceId));
      return raw === null ? null : decodeObservation(sourceId, raw);
    },
    async publish(symbol, sourceId, encoded) {
      // `<instance> <symbol> <sourceId> <json>`: neither ids nor symbols can contain a space.
      await state.publish(OBSERVATION_CHANNEL, `${instance} ${symbol} ${sourceId} ${encoded}`);
    },
    async subscribe(handler) {
      return state.subscribe(OBSERVATION_CHANNEL, (message) => {
        // This instance already applied its own observation before publishing it.
        if (message.startsWith(instance)) return;
        const [, symbol, sourceId] = message.split(' ', 3);
        if (!symbol || !sourceId || !SYMBOL.test(symbol) || !SOURCE_ID.test(sourceId)) return;
        const observation = decodeObservation(sourceId, message.slice(instance.length + symbol.length + sourceId.length + 3));
        if (observation) handler(symbol, observation);
      });
    },
  };
}
