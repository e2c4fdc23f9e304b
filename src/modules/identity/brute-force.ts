/**
 * Brute-force protection (SPEC §3), per account and per client IP, in the shared state store so
 * every replica counts together. Applies equally to password, OTP and backup-code attempts.
 *
 * Policy (defaults):
 * - account: the first 5 consecutive failures are free; failure n > 5 locks the account's
 *   password/OTP path for 2^(n-6) s, capped at 15 min. The failure counter lives 24 h from the
 *   first failure and resets on success. At 100 failures the account is locked until the
 *   counter expires: never more than 100 consecutive failures are evaluated per 24 h.
 * - IP: 20 free failures per hour, then 2^(n-21) s, capped at 1 h (RATE_LIMITED).
 * - While locked, attempts are refused before any password hashing and are not counted, so an
 *   attacker cannot stretch a lock beyond its cap; every lock is time-bound, the owner is
 *   notified (security event `auth.account.locked`), and passkey login — which cannot be
 *   brute-forced — is not subject to the account lock (the owner's second channel).
 */
import type { StateStore } from '../../lib/state/index.js';
import type { Clock } from '../../lib/clock/index.js';

export interface BruteForcePolicy {
  accountFreeFailures: number;
  accountMaxLockMs: number;
  accountHardLimit: number;
  accountWindowMs: number;
  ipFreeFailures: number;
  ipMaxLockMs: number;
  ipWindowMs: number;
}

export const DEFAULT_BRUTE_FORCE_POLICY: BruteForcePolicy = Object.freeze({
  accountFreeFailures: 5,
  accountMaxLockMs: 15 * 60_000,
  accountHardLimit: 100,
  accountWindowMs: 24 * 3_600_000,
  ipFreeFailures: 20,
  ipMaxLockMs: 3_600_000,
  ipWindowMs: 3_600_000,
});

export type GateVerdict =
  | { allowed: true }
  | { allowed: false; scope: 'account' | 'ip'; retryAfterMs: number };

export interface FailureOutcome {
  accountFailures: number;
  /** Set when this failure started a lock of the account. */
  accountLockedMs?: number;
  ipLockedMs?: number;
}

export interface BruteForceGuard {
  /** Cheap check before any expensive verification. */
  check(accountKey: string, ip: string | null): Promise<GateVerdict>;
  recordFailure(accountKey: string, ip: string | null): Promise<FailureOutcome>;
  recordSuccess(accountKey: string): Promise<void>;
}

/** Lock length after `failures` consecutive failures; exported for boundary tests. */
export function lockDurationMs(failures: number, free: number, maxMs: number): number {
  if (failures <= free) return 0;
  return Math.min(maxMs, 1000 * 2 ** Math.min(30, failures - free - 1));
}

export function createBruteForceGuard(deps: { state: StateStore; clock: Clock; policy?: Partial<BruteForcePolicy> }): BruteForceGuard {
  const { state, clock } = deps;
  const policy = { ...DEFAULT_BRUTE_FORCE_POLICY, ...deps.policy };
  const k = {
    acctCount: (a: string) => `bf:acct:n:${a}`,
    acctLock: (a: string) => `bf:acct:lock:${a}`,
    ipCount: (ip: string) => `bf:ip:n:${ip}`,
    ipLock: (ip: string) => `bf:ip:lock:${ip}`,
  };

  const remaining = (until: string | null) => (until === null ? 0 : Math.max(0, Number(until) - clock.now()));

  return {
    async check(accountKey, ip) {
      const [acctLock, ipLock] = await Promise.all([
        state.get(k.acctLock(accountKey)),
        ip ? state.get(k.ipLock(ip)) : Promise.resolve(null),
      ]);
      const ipWait = remaining(ipLock);
      if (ipWait > 0) return { allowed: false, scope: 'ip', retryAfterMs: ipWait };
      const acctWait = remaining(acctLock);
      if (acctWait > 0) return { allowed: false, scope: 'account', retryAfterMs: acctWait };
      return { allowed: true };
    },

    async recordFailure(accountKey, ip) {
      const [accountFailures, ipFailures] = await Promise.all([
        state.increment(k.acctCount(accountKey), 1, policy.accountWindowMs),
        ip ? state.increment(k.ipCount(ip), 1, policy.ipWindowMs) : Promise.resolve(0),
      ]);
      const outcome: FailureOutcome = { accountFailures };
      const accountLock = accountFailures >= policy.accountHardLimit
        ? policy.accountWindowMs
        : lockDurationMs(accountFailures, policy.accountFreeFailures, policy.accountMaxLockMs);
      if (accountLock > 0) {
        await state.set(k.acctLock(accountKey), String(clock.now() + accountLock), accountLock);
        outcome.accountLockedMs = accountLock;
      }
      const ipLock = lockDurationMs(ipFailures, policy.ipFreeFailures, policy.ipMaxLockMs);
      if (ip && ipLock > 0) {
        await state.set(k.ipLock(ip), String(clock.now() + ipLock), ipLock);
        outcome.ipLockedMs = ipLock;
      }
      return outcome;
    },

    async recordSuccess(accountKey) {
      await Promise.all([state.delete(k.acctCount(accountKey)), state.delete(k.acctLock(accountKey))]);
    },
  };
}
