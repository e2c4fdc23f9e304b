/**
 * The `(keyid, nonce)` replay store of SPEC §4, in the shared StateStore so every replica sees
 * every nonce. Contract: `claim` is one atomic set-if-absent, so of any number of concurrent
 * claims of one pair, on any replicas, exactly one gets true.
 *
 * A nonce is kept for 2 × window: a request stays acceptable while `created` is within ±window
 * of the clock, and a `created` up to one window in the future stays so for two windows.
 */
import type { StateStore } from '../../lib/state/index.js';

export interface NonceStore {
  claim(keyId: string, nonce: string): Promise<boolean>;
}

/** How long a pair must be remembered for a signature window of ± `windowMs` (see above). */
export function nonceRetentionMs(windowMs: number): number {
  return 2 * windowMs;
}

export function createNonceStore(state: StateStore, windowMs: number): NonceStore {
  const ttlMs = nonceRetentionMs(windowMs);
  return {
    async claim(keyId, nonce) {
      // Both parts are bounded by the signing policy (UUID key id, nonce of at most 128 characters).
      return state.setIfAbsent(`apikeys:nonce:${keyId}:${nonce}`, '1', ttlMs);
    },
  };
}
