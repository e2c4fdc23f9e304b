/**
 * A withdrawal after its request (the debit): every transition is one guarded UPDATE
 * (`… WHERE status = <expected>`, so of two concurrent or repeated decisions exactly one lands)
 * in the same transaction as its balance change, and one audited event.
 *
 *   held ──approve──▶ pending ──payout sent──▶ sent
 *     │                  │
 *     └──reject──▶ rejected (credited back)     └──payout failed──▶ failed (credited back)
 *
 * The four-eyes rule (four-eyes.ts) is part of the same WHERE, so it holds even against an
 * approval and a payout record racing each other. `pending` withdrawals are handed to the payout
 * port after the commit that made them pending; what it answers (sent / failed) is recorded like
 * an operator's outcome. A port that throws leaves the withdrawal `pending` and the attempt is
 * retried with backoff (payout-attempts.ts) until the last one, which flags it for an operator.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../../../lib/db/schema.js';
import { AppError } from '../../../lib/errors/index.js';
import { formatDecimal } from '../../../lib/money/decimal.js';
import type { TradingEvents } from '../events.js';
import { appendJournal, applyBalanceDeltas } from '../ledger/accounts.js';
import type { RequestContext } from '../orders/commands.js';
import type { AddressBook } from './addresses.js';
import { fourEyesAllows, fourEyesBreach } from './four-eyes.js';
import { createPayoutAttempts, resolvePayoutRetryPolicy, type PayoutRetryPolicy } from './payout-attempts.js';
import { PayoutRefused, type WithdrawalPayout } from './ports.js';
import { adminWithdrawalView, withdrawalView, type WithdrawalRow } from './view.js';

export type PayoutRecord = { outcome: 'sent'; txId: string } | { outcome: 'failed'; reason: string };

export interface LifecycleDeps {
  db: Kysely<Tables>;
  addresses: AddressBook;
  payout: WithdrawalPayout;
  events: TradingEvents;
  scaleOf(asset: string): number;
  now(): number;
  onError(error: unknown, what: string): void;
  /** Payout retries; default `DEFAULT_PAYOUT_RETRY`. */
  retry?: Partial<PayoutRetryPolicy>;
}

const SYSTEM: RequestContext = { actor: 'system:payout', ip: null, requestId: null };
/** Due attempts one retry sweep sends at once (each claimed on its own). */
const SWEEP_BATCH = 10;

type Patch = { reviewed_by?: string; tx_ref?: string; status_reason?: string; payout_next_at?: bigint | null };

export function createWithdrawalLifecycle(deps: LifecycleDeps) {
  const { db, events } = deps;
  const attempts = createPayoutAttempts(db, resolvePayoutRetryPolicy(deps.retry));

  /**
   * Moves `id` from `from` to `to` (refunding when asked) in one transaction if `actor` may;
   * null if it was not in `from` or the four-eyes rule forbids it.
   */
  async function transition(id: string, from: 'held' | 'pending', to: string, patch: Patch, refund: boolean, actor: string, action: 'review' | 'record-payout') {
    const now = BigInt(deps.now());
    return db.transaction().execute(async (trx) => {
      const row = await trx.updateTable('withdrawals').set({ status: to, ...patch, updated_at: now })
        .where('id', '=', id).where('status', '=', from).where(fourEyesAllows(actor, action)).returningAll().executeTakeFirst();
      if (row && refund) {
        await applyBalanceDeltas(trx, [{ userId: row.user_id, asset: row.asset, total: row.amount, reserved: 0n }], now);
        await appendJournal(trx, [{ userId: row.user_id, asset: row.asset, amount: row.amount, kind: 'withdrawal-refund', refId: id }], now);
      }
      return row ?? null;
    });
  }

  /** Why a transition that changed nothing was refused: the four-eyes rule, or the state. */
  async function refusal(id: string, from: 'held' | 'pending', actor: string, action: 'review' | 'record-payout') {
    const row = await db.selectFrom('withdrawals').select(['status', 'user_id', 'reviewed_by']).where('id', '=', id).executeTakeFirst();
    return row?.status === from ? fourEyesBreach(row, actor, action) : null;
  }

  async function recordPayout(id: string, record: PayoutRecord, ctx: RequestContext) {
    const row = record.outcome === 'sent'
      ? await transition(id, 'pending', 'sent', { tx_ref: record.txId, payout_next_at: null }, false, ctx.actor, 'record-payout')
      : await transition(id, 'pending', 'failed', { status_reason: record.reason, payout_next_at: null }, true, ctx.actor, 'record-payout');
    if (!row) {
      const breach = await refusal(id, 'pending', ctx.actor, 'record-payout');
      const code = breach ? 'WITHDRAWAL_FOUR_EYES' : 'WITHDRAWAL_NOT_PENDING';
      events.emit('withdrawal.payout.refused', ctx, id, 'denied', { outcome: record.outcome, code, ...(breach ? { rule: breach } : {}) });
      if (breach) throw new AppError(code, breach === 'own-withdrawal' ? 'Nobody records the payout of their own withdrawal.' : 'The reviewer who approved this withdrawal cannot also record its payout; another admin must.');
      throw new AppError(code, 'Only an approved withdrawal awaiting payout can be recorded as sent or failed.');
    }
    if (record.outcome === 'sent') events.emit('withdrawal.sent', ctx, id, 'success', { userId: row.user_id, txId: record.txId });
    else events.emit('withdrawal.payout_failed', ctx, id, 'failure', { userId: row.user_id, reason: record.reason, refunded: true });
    return withdrawalView(row, deps.scaleOf(row.asset));
  }

  /**
   * No further automatic attempt — the last one failed, or the receiver refused for good: flag
   * for manual handling (once, whoever gets there first) and raise the alarm.
   */
  async function giveUp(row: WithdrawalRow, reason: 'attempts' | 'refused' = 'attempts'): Promise<void> {
    if (!await attempts.flag(row.id, row.payout_attempts, deps.now())) return;
    events.emit('withdrawal.payout.retries_exhausted', SYSTEM, row.id, 'failure', {
      userId: row.user_id, payout: deps.payout.name, attempts: Number(row.payout_attempts), manualHandling: true, reason,
    });
  }

  /** Sends the next payout attempt of a `pending` withdrawal if it is due and this caller claims it. */
  async function dispatch(due: WithdrawalRow): Promise<void> {
    let row: WithdrawalRow | null = null;
    try {
      if (due.payout_attempts >= attempts.policy.maxAttempts) return await giveUp(due); // the last attempt's sender died
      row = await attempts.claim(due, deps.now());
      if (!row) return; // another replica (or request) has this attempt
      const address = await deps.addresses.reveal(row.user_id, row.address_id);
      if (address === null) throw new TypeError(`withdrawal ${row.id}: address ${row.address_id} is gone`);
      const outcome = await deps.payout.send({
        withdrawalId: row.id, userId: row.user_id, asset: row.asset, amount: formatDecimal(row.amount, deps.scaleOf(row.asset)), address,
        attempt: Number(row.payout_attempts),
      });
      if (outcome.status === 'submitted') {
        await attempts.accepted(row.id, row.payout_attempts);
        events.emit('withdrawal.payout.submitted', SYSTEM, row.id, 'info', { userId: row.user_id, payout: deps.payout.name, attempt: Number(row.payout_attempts) });
        return;
      }
      await recordPayout(row.id, outcome.status === 'sent' ? { outcome: 'sent', txId: outcome.txId } : { outcome: 'failed', reason: outcome.reason }, SYSTEM);
    } catch (error) {
      deps.onError(error, `withdrawal ${due.id}: payout ${deps.payout.name} did not complete`);
      // NOT_PENDING: an operator recorded the outcome while we were sending; nothing to retry.
      const settled = error instanceof AppError && error.code === 'WITHDRAWAL_NOT_PENDING';
      if (row && !settled) await payoutAttemptFailed(row, error);
    }
  }

  /** Left pending: retried when `payout_next_at` comes (set by the claim), or given up after the last attempt. */
  async function payoutAttemptFailed(row: WithdrawalRow, error: unknown): Promise<void> {
    const attempt = Number(row.payout_attempts);
    const refused = error instanceof PayoutRefused;
    const last = refused || attempt >= attempts.policy.maxAttempts;
    events.emit('withdrawal.payout.attempt_failed', SYSTEM, row.id, 'failure', {
      userId: row.user_id, payout: deps.payout.name, attempt, maxAttempts: attempts.policy.maxAttempts,
      error: error instanceof Error ? error.message.slice(0, 200) : 'unknown',
      nextAttemptAt: last || row.payout_next_at === null ? null : new Date(Number(row.payout_next_at)).toISOString(),
    });
    if (last) {
      try {
        await giveUp(row, refused ? 'refused' : 'attempts');
      } catch (flagError) {
        // Not flagged now: the row stays due; the next sweep flags it after the last attempt,
        // or, after a refusal, sends one more attempt (refused again, then flagged).
        deps.onError(flagError, `withdrawal ${row.id}: could not flag for manual handling`);
      }
    }
  }

  return {
    dispatch,
    recordPayout,

    /** Sends every due payout attempt (one retry-loop tick); returns how many were due. */
    async retryDue(): Promise<number> {
      const due = await attempts.due(deps.now(), SWEEP_BATCH);
      await Promise.all(due.map(dispatch));
      return due.length;
    },

    /** A reviewer approves (→ pending, then payout) or rejects (→ rejected, credited back) a held withdrawal. */
    async review(id: string, decision: 'approve' | 'reject', reason: string, ctx: RequestContext) {
      const patch = { reviewed_by: ctx.actor, status_reason: reason };
      const row = decision === 'approve'
        ? await transition(id, 'held', 'pending', { ...patch, payout_next_at: BigInt(deps.now()) }, false, ctx.actor, 'review')
        : await transition(id, 'held', 'rejected', patch, true, ctx.actor, 'review');
      if (!row) {
        const breach = await refusal(id, 'held', ctx.actor, 'review');
        const code = breach ? 'WITHDRAWAL_FOUR_EYES' : 'WITHDRAWAL_NOT_REVIEWABLE';
        events.emit('withdrawal.review.refused', ctx, id, 'denied', { decision, code, ...(breach ? { rule: breach } : {}) });
        throw new AppError(code, breach ? 'Nobody reviews their own withdrawal.' : 'The withdrawal is not held for review.');
      }
      events.admin('withdrawal.reviewed', ctx, id, { decision, reason, userId: row.user_id });
      if (row.status === 'pending') await dispatch(row);
      const current = await db.selectFrom('withdrawals').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return withdrawalView(current, deps.scaleOf(current.asset));
    },

    /** Withdrawals in one state, oldest first, with their destination and payout attempts (for review and manual payout). */
    async list(status: 'held' | 'pending', limit: number) {
      const rows = await db.selectFrom('withdrawals').selectAll().where('status', '=', status).orderBy('created_at').limit(limit).execute();
      return Promise.all(rows.map(async (row) => adminWithdrawalView(row, deps.scaleOf(row.asset), await deps.addresses.reveal(row.user_id, row.address_id))));
    },
  };
}

export type WithdrawalLifecycle = ReturnType<typeof createWithdrawalLifecycle>;
