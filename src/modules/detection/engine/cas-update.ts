/**
 * Read-modify-write of a JSON state value as one compare-and-swap, retried on contention: of
 * concurrent replicas updating the same history, each update is applied exactly once and each
 * caller sees the value it replaced (so exactly one of them observes a transition).
 */
import type { StateStore } from '../../../lib/state/index.js';

const ATTEMPTS = 5;

/**
 * Applies `update` to the current value (null when absent). `update` returning `undefined`
 * means "leave it as it is". Resolves to the replaced value and the new one, or null when
 * other writers won every attempt (the caller then does nothing: a missed observation, never
 * a double one).
 */
export async function updateJson<T>(
  state: StateStore, key: string, ttlMs: number, update: (previous: T | null) => T | undefined,
): Promise<{ previous: T | null; next: T } | null> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const raw = await state.get(key);
    const previous = raw === null ? null : JSON.parse(raw) as T;
    const next = update(previous);
    if (next === undefined) return null;
    if (await state.compareAndSwap(key, raw, JSON.stringify(next), ttlMs)) return { previous, next };
  }
  return null;
}
