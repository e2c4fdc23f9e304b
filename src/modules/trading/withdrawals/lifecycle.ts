/**
 * A withdrawal after its request (the debit): every transition is one guarded UPDATE
 * (`… WHERE status = <expected>`, so of two concurrent or repeated decisions exactly one lands)
 * in the same transaction as its balance change, and one audited event.
 *
 *   held ──approve──▶ pending ──payout sent──▶ sent
 *     │                  │
 *     └──reject──▶ rejected (credited back)     └──payout failed──▶ failed (credited back)
 *
 * `pending` withdrawals are handed to the payout port after the commit that made them pending;
 * what it answers (sent / failed) is recorded like an operator's outcome. A port that throws
 * leaves the withdrawal `pending` for an operator (nothing is lost or sent twice by us).
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../../../lib/db/schema.js';
import { AppError } from '../../../lib/errors/index.js';
import { formatDecimal } from '../../../lib/money/decimal.js';
import type { TradingEvents } from '../events.js';
import { appendJournal, applyBalanceDeltas } from '../ledger/accounts.js';
import type { RequestContext } from '../orders/commands.js';
import type { AddressBook } from './addresses.js';
import type { WithdrawalPayout } from './ports.js';
import { withdrawalView, type WithdrawalRow } from './view.js';

export type PayoutRecord = { outcome: 'sent'; txId: string } | { outcome: 'failed'; reason: string };

export interface LifecycleDeps {
  db: Kysely<Tables>;
  addresses: AddressBook;
  payout: WithdrawalPayout;
  events: TradingEvents;
  scaleOf(asset: string): number;
  now(): number;
  onError(error: unknown, what: string): void;
}

const SYSTEM: RequestContext = { actor: 'system:payout', ip: null, requestId: null };

export function createWithdrawalLifecycle(deps: LifecycleDeps) {
  const { db, events } = deps;

  /** Moves `id` from `from` to `to` (refunding when asked) in one transaction; null if it was not in `from`. */
  async function transition(id: string, from: 'held' | 'pending', to: string, patch: { reviewed_by?: string; tx_ref?: string; status_reason?: string }, refund: boolean) {
    const now = BigInt(deps.now());
    return db.transaction().execute(async (trx) => {
      const row = await trx.updateTable('withdrawals').set({ status: to, ...patch, updated_at: now })
        .where('id', '=', id).where('status', '=', from).returningAll().executeTakeFirst();
      if (row && refund) {
        await applyBalanceDeltas(trx, [{ userId: row.user_id, asset: row.asset, total: row.amount, reserved: 0n }], now);
        await appendJournal(trx, [{ userId: row.user_id, asset: row.asset, amount: row.amount, kind: 'withdrawal-refund', refId: id }], now);
      }
      return row ?? null;
    });
  }

  async function recordPayout(id: string, record: PayoutRecord, ctx: RequestContext) {
    const row = record.outcome === 'sent'
      ? await transition(id, 'pending', 'sent', { tx_ref: record.txId }, false)
      : await transition(id, 'pending', 'failed', { status_reason: record.reason }, true);
    if (!row) {
      events.emit('withdrawal.payout.refused', ctx, id, 'denied', { outcome: record.outcome });
      throw new AppError('WITHDRAWAL_NOT_PENDING', 'Only an approved withdrawal awaiting payout can be recorded as sent or failed.');
    }
    if (record.outcome === 'sent') events.emit('withdrawal.sent', ctx, id, 'success', { userId: row.user_id, txId: record.txId });
    else events.emit('withdrawal.payout_failed', ctx, id, 'failure', { userId: row.user_id, reason: record.reason, refunded: true });
    return withdrawalView(row, deps.scaleOf(row.asset));
  }

  /** Hands a committed `pending` withdrawal to the payout port and records what it answers. */
  async function dispatch(row: WithdrawalRow): Promise<void> {
    try {
      const address = await deps.addresses.reveal(row.user_id, row.address_id);
      if (address === null) throw new TypeError(`withdrawal ${row.id}: address ${row.address_id} is gone`);
      const outcome = await deps.payout.send({
        withdrawalId: row.id, userId: row.user_id, asset: row.asset, amount: formatDecimal(row.amount, deps.scaleOf(row.asset)), address,
      });
      if (outcome.status === 'submitted') {
        events.emit('withdrawal.payout.submitted', SYSTEM, row.id, 'info', { userId: row.user_id, payout: deps.payout.name });
        return;
      }
      await recordPayout(row.id, outcome.status === 'sent' ? { outcome: 'sent', txId: outcome.txId } : { outcome: 'failed', reason: outcome.reason }, SYSTEM);
    } catch (error) {
      // Left pending: an operator records the outcome once they know it.
      deps.onError(error, `withdrawal ${row.id}: payout ${deps.payout.name} did not complete`);
    }
  }

  return {
    dispatch,
    recordPayout,

    /** A reviewer approves (→ pending, then payout) or rejects (→ rejected, credited back) a held withdrawal. */
    async review(id: string, decision: 'approve' | 'reject', reason: string, ctx: RequestContext) {
      const row = decision === 'approve'
        ? await transition(id, 'held', 'pending', { reviewed_by: ctx.actor, status_reason: reason }, false)
        : await transition(id, 'held', 'rejected', { reviewed_by: ctx.actor, status_reason: reason }, true);
      if (!row) {
        events.emit('withdrawal.review.refused', ctx, id, 'denied', { decision });
        throw new AppError('WITHDRAWAL_NOT_REVIEWABLE', 'The withdrawal is not held for review.');
      }
      events.admin('withdrawal.reviewed', ctx, id, { decision, reason, userId: row.user_id });
      if (row.status === 'pending') await dispatch(row);
      const current = await db.selectFrom('withdrawals').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return withdrawalView(current, deps.scaleOf(current.asset));
    },

    /** Withdrawals in one state, oldest first, with their destination (for review and manual payout). */
    async list(status: 'held' | 'pending', limit: number) {
      const rows = await db.selectFrom('withdrawals').selectAll().where('status', '=', status).orderBy('created_at').limit(limit).execute();
      return Promise.all(rows.map(async (row) => ({
        ...withdrawalView(row, deps.scaleOf(row.asset)), userId: row.user_id, address: await deps.addresses.reveal(row.user_id, row.address_id),
      })));
    },
  };
}

export type WithdrawalLifecycle = ReturnType<typeof createWithdrawalLifecycle>;
