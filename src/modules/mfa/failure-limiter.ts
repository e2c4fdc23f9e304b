/**
 * Per-user budget of wrong TOTP/backup codes in a fixed window (StateStore, so it holds across
 * replicas; a burst straddling a window boundary gets at most twice the limit). The attempt is
 * reserved BEFORE the code is checked, so concurrent guesses cannot overrun the budget between
 * check and count. A success clears the budget. Time-bound by design: an attacker exhausting it
 * locks the owner out of these codes for one window only (passkeys and delivered codes keep
 * working).
 */
import type { Clock } from '../../lib/clock/index.js';
import type { StateStore } from '../../lib/state/index.js';

export interface FailureLimiter {
  /** Reserves one attempt; false when the budget is exhausted (do not check the code then). */
  reserve(userId: string): Promise<boolean>;
  reset(userId: string): Promise<void>;
}

export function createFailureLimiter(state: StateStore, clock: Clock, policy: { limit: number; windowMs: number }): FailureLimiter {
  // Windows are numbered by the injected clock, so they mean the same on both adapters (Redis
  // TTLs run on server time); the TTL only cleans up.
  const key = (userId: string) => `mfa:fail:${userId}:${Math.floor(clock.now() / policy.windowMs)}`;
  return {
    async reserve(userId) {
      const attempts = await state.increment(key(userId), 1, policy.windowMs);
      return attempts <= policy.limit;
    },
    async reset(userId) {
      await state.delete(key(userId));
    },
  };
}
