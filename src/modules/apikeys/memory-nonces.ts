/**
 * The `(keyid, nonce)` replay store of a single replica (no Redis configured).
 *
 * Why not the in-process StateStore like everything else: that store bounds all of the
 * platform's ephemeral keys together (100,000) and sweeps them one by one. Nonces are kept for
 * two signature windows (60 s by default), so above ≈ 1,700 signed requests/s they alone filled
 * it: every signed request then failed closed with 503, lockouts and MFA challenges shared the
 * same bound, and each refused write re-swept the whole map (14 % of the server's CPU in the
 * trading benchmark). Here the pairs live in time generations: a generation is dropped whole
 * once its youngest pair has been kept `retainMs`, so expiry costs nothing per request, and the
 * capacity is the replay store's own.
 *
 * A pair is kept at least `retainMs` and at most `retainMs` + 2 generations (1.5 × with four
 * generations per `retainMs`). When `maxPairs` are held, a new pair is refused with
 * SERVICE_OVERLOADED (fail closed: forgetting a nonce early would let its request be replayed).
 */
import type { Clock } from '../../lib/clock/index.js';
import { AppError } from '../../lib/errors/index.js';
import type { NonceStore } from './nonces.js';

export interface MemoryNonceStoreOptions {
  clock: Clock;
  /** How long a pair must be remembered: twice the signature window (see nonces.ts). */
  retainMs: number;
  /** Upper bound on pairs held (≈ 100 bytes each). */
  maxPairs: number;
}

export interface MemoryNonceStore extends NonceStore {
  /** Pairs held now (including ones old enough to go at the next generation drop). */
  size(): number;
}

/** Generations per `retainMs`: more means tighter expiry and more Set lookups per claim. */
const GENERATIONS_PER_RETAIN = 4;

interface Generation { start: number; pairs: Set<string> }

export function createMemoryNonceStore(options: MemoryNonceStoreOptions): MemoryNonceStore {
  const { clock, retainMs, maxPairs } = options;
  if (!Number.isSafeInteger(retainMs) || retainMs <= 0) throw new TypeError('retainMs must be a positive integer');
  if (!Number.isSafeInteger(maxPairs) || maxPairs <= 0) throw new TypeError('maxPairs must be a positive integer');
  const generationMs = Math.ceil(retainMs / GENERATIONS_PER_RETAIN);
  /** Oldest first; the last one receives new pairs. */
  const generations: Generation[] = [];
  let held = 0;

  /** Drops generations whose every pair has been kept `retainMs`; opens a new one when due. */
  function current(now: number): Generation {
    while (generations.length > 0 && (generations[0] as Generation).start + generationMs + retainMs <= now) {
      held -= (generations.shift() as Generation).pairs.size;
    }
    const newest = generations.at(-1);
    // A clock stepping back keeps filling the newest generation, which only keeps pairs longer.
    if (newest !== undefined && now < newest.start + generationMs) return newest;
    const opened = { start: now - (now % generationMs), pairs: new Set<string>() };
    generations.push(opened);
    return opened;
  }

  return {
    claim(keyId, nonce) {
      const target = current(clock.now());
      // A key id never contains ':' (UUID), so the pair's string is unambiguous.
      const pair = `${keyId}:${nonce}`;
      for (const generation of generations) if (generation.pairs.has(pair)) return Promise.resolve(false);
      if (held >= maxPairs) {
        // Room comes back when the oldest generation goes, at most one generation from now.
        const retryAfter = String(Math.max(1, Math.ceil(generationMs / 1000)));
        return Promise.reject(new AppError('SERVICE_OVERLOADED', 'Too many signed requests in the replay window; retry shortly.', { headers: { 'retry-after': retryAfter } }));
      }
      target.pairs.add(pair);
      held += 1;
      return Promise.resolve(true);
    },
    size: () => held,
  };
}
