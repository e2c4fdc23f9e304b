/**
 * Payout attempts of `pending` withdrawals: bounded retries with exponential backoff, safe with
 * several replicas on one database (migration 0013).
 *
 * A withdrawal's first attempt is due the moment it becomes `pending`. Each attempt is claimed
 * with ONE guarded UPDATE that bumps `payout_attempts` from the value read (compare-and-swap) and
 * moves `payout_next_at` to when the following attempt is due, so of every replica and of the
 * request that released the withdrawal exactly one sends attempt n, and a replica that dies
 * mid-send leaves attempt n + 1 already scheduled. Every attempt carries the withdrawal id as
 * the idempotency key: a receiver that sees an id again answers what it answered before.
 *
 * After `maxAttempts` failed attempts the withdrawal stays `pending` (still debited: nothing is
 * lost, nothing refunded twice) and is flagged for manual handling (`payout_flagged_at`).
 */
import type { Kysely } from 'kysely';
import { exponentialBackoffMs } from '../../../lib/clock/index.js';
import type { Tables } from '../../../lib/db/schema.js';
import type { WithdrawalRow } from './view.js';

export interface PayoutRetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Wait after the first failed attempt; doubles after each further one. */
  baseDelayMs: number;
  /** Upper bound of one wait. */
  maxDelayMs: number;
}

/**
 * 8 attempts over about an hour (waits 30 s, 1, 2, 4, 8, 16, 30 min): long enough to ride out a
 * custody service restart, short enough that an operator hears of an outage the same hour. The
 * first wait is longer than the webhook timeout (10 s), so an attempt in flight is never
 * overtaken by the next one.
 */
export const DEFAULT_PAYOUT_RETRY: Readonly<PayoutRetryPolicy> = Object.freeze({ maxAttempts: 8, baseDelayMs: 30_000, maxDelayMs: 30 * 60_000 });

export function resolvePayoutRetryPolicy(overrides: Partial<PayoutRetryPolicy> = {}): Readonly<PayoutRetryPolicy> {
  const policy = { ...DEFAULT_PAYOUT_RETRY, ...overrides };
  for (const [name, value] of Object.entries(policy)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`payout retry: ${name} must be a positive integer`);
  }
  if (policy.maxDelayMs < policy.baseDelayMs) throw new TypeError('payout retry: maxDelayMs must be at least baseDelayMs');
  return Object.freeze(policy);
}

/** How long after attempt `attempt` (1-based) the next one is due. */
export function delayAfterAttempt(policy: PayoutRetryPolicy, attempt: number): number {
  return exponentialBackoffMs(attempt, policy.baseDelayMs, policy.maxDelayMs);
}

/** Storage of payout attempts; each write is one guarded UPDATE whose WHERE is the contract. */
export function createPayoutAttempts(db: Kysely<Tables>, policy: PayoutRetryPolicy) {
  return {
    policy,

    /** Pending, unflagged withdrawals whose next attempt is due at `now`, most overdue first. */
    due(now: number, limit: number): Promise<WithdrawalRow[]> {
      return db.selectFrom('withdrawals').selectAll().where('status', '=', 'pending').where('payout_flagged_at', 'is', null)
        .where('payout_next_at', '<=', BigInt(now)).orderBy('payout_next_at').limit(limit).execute();
    },

    /**
     * Claims the attempt after `row.payout_attempts` if it is due: exactly one caller wins (the
     * others find the count moved on). Returns the claimed row, or null.
     */
    async claim(row: WithdrawalRow, now: number): Promise<WithdrawalRow | null> {
      const attempt = row.payout_attempts + 1n;
      const claimed = await db.updateTable('withdrawals')
        .set({ payout_attempts: attempt, payout_next_at: BigInt(now + delayAfterAttempt(policy, Number(attempt))) })
        .where('id', '=', row.id).where('status', '=', 'pending').where('payout_flagged_at', 'is', null)
        .where('payout_attempts', '=', row.payout_attempts).where('payout_next_at', '<=', BigInt(now))
        .returningAll().executeTakeFirst();
      return claimed ?? null;
    },

    /** The receiver accepted attempt `attempt` (`submitted`): no further automatic attempt. */
    async accepted(id: string, attempt: bigint): Promise<void> {
      await db.updateTable('withdrawals').set({ payout_next_at: null })
        .where('id', '=', id).where('status', '=', 'pending').where('payout_attempts', '=', attempt).execute();
    },

    /**
     * Gives up after attempt `attempt` failed: leaves the withdrawal pending, flagged for manual
     * handling. True for the one caller that flagged it (who raises the alert).
     */
    async flag(id: string, attempt: bigint, now: number): Promise<boolean> {
      const result = await db.updateTable('withdrawals').set({ payout_next_at: null, payout_flagged_at: BigInt(now) })
        .where('id', '=', id).where('status', '=', 'pending').where('payout_flagged_at', 'is', null)
        .where('payout_attempts', '=', attempt).executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
  };
}

export type PayoutAttempts = ReturnType<typeof createPayoutAttempts>;
