/**
 * Single-use WebAuthn challenges in the shared StateStore (W3C WebAuthn §13.4.3: a challenge is
 * random, bound to one ceremony, and used once). `consume` swaps the record for a "used" marker
 * with compareAndSwap, so of two concurrent submissions exactly one gets the payload, on any
 * replica; the marker lets a second submission be reported as a replay rather than a timeout.
 * Expiry is checked against the injected clock; the store TTL only cleans up.
 */
import type { Clock } from '../../../lib/clock/index.js';
import type { StateStore } from '../../../lib/state/index.js';

export type ConsumeResult<T> = { status: 'ok'; payload: T } | { status: 'missing' | 'used' | 'expired' };

export interface ChallengeStore<T> {
  /** Stores (or replaces) the ceremony's challenge payload. */
  put(key: string, payload: T, ttlMs: number): Promise<void>;
  consume(key: string): Promise<ConsumeResult<T>>;
}

export function createChallengeStore<T>(state: StateStore, clock: Clock): ChallengeStore<T> {
  return {
    async put(key, payload, ttlMs) {
      await state.set(key, JSON.stringify({ payload, expiresAt: clock.now() + ttlMs }), ttlMs);
    },
    async consume(key) {
      const raw = await state.get(key);
      if (raw === null) return { status: 'missing' };
      const record = JSON.parse(raw) as { payload: T; expiresAt: number } | { used: true; expiresAt: number };
      if ('used' in record) return { status: 'used' };
      const remaining = record.expiresAt - clock.now();
      const marker = JSON.stringify({ used: true, expiresAt: record.expiresAt });
      if (!(await state.compareAndSwap(key, raw, marker, Math.max(1, remaining)))) return { status: 'used' };
      return remaining > 0 ? { status: 'ok', payload: record.payload } : { status: 'expired' };
    },
  };
}
