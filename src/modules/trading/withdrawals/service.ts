/**
 * Withdrawals (SPEC §5). No blockchain here: a withdrawal is a ledger debit recorded in one
 * transaction with its row, `held` (waiting for review: amount above the review limit, or
 * screening said hold) or `pending` (released: handed to the payout port at once). What
 * happens next (approve / reject, sent / failed) is in lifecycle.ts.
 * Checks in order: kill switch (global or account), allowlisted and active address, screening,
 * then the guarded debit (RISK_INSUFFICIENT_BALANCE). Every refusal is a security event.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Tables, WithdrawalsTable } from '../../../lib/db/schema.js';
import { AppError, type ErrorCode } from '../../../lib/errors/index.js';
import { formatDecimal, parseDecimal } from '../../../lib/money/decimal.js';
import type { TradingEvents } from '../events.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import { engagedFor } from '../killswitch/store.js';
import { appendJournal, applyBalanceDeltas, BalanceGuardError } from '../ledger/accounts.js';
import type { RequestContext } from '../orders/commands.js';
import type { AddressBook } from './addresses.js';
import type { WithdrawalScreening } from './ports.js';
import { withdrawalView } from './view.js';

type Row = Selectable<WithdrawalsTable>;

export interface WithdrawalDeps {
  db: Kysely<Tables>;
  instruments: InstrumentRegistry;
  addresses: AddressBook;
  screening: WithdrawalScreening | null;
  /** Per asset: amounts above this many minor units are held for review. */
  reviewAbove: ReadonlyMap<string, bigint>;
  events: TradingEvents;
  now(): number;
  /** Called once a `pending` (released, not held) withdrawal committed: the payout (lifecycle.ts). */
  onPending(row: Row): Promise<void>;
}

export function createWithdrawalService(deps: WithdrawalDeps) {
  const { db, events } = deps;
  const scaleOf = (asset: string) => deps.instruments.assetScale(asset) ?? 0;
  const view = (row: Row) => withdrawalView(row, scaleOf(row.asset));

  function refuse(ctx: RequestContext, userId: string, code: ErrorCode, detail: string, extensions: Record<string, unknown> = {}): never {
    events.emit('withdrawal.rejected', ctx, userId, 'denied', { code, detail });
    throw new AppError(code, detail, { extensions });
  }

  return {
    async request(userId: string, body: { asset: string; amount: string; address: string }, ctx: RequestContext) {
      const scale = deps.instruments.assetScale(body.asset);
      if (scale === undefined) return refuse(ctx, userId, 'ASSET_UNKNOWN', `Unknown asset ${body.asset}.`);
      const amount = parseDecimal(body.amount, scale);
      if (!amount.ok || amount.value === 0n) return refuse(ctx, userId, 'VALIDATION_FAILED', `/amount: a positive amount with at most ${scale} decimals`);
      const kill = await engagedFor(db, userId, '');
      if (kill.global || kill.user) return refuse(ctx, userId, 'RISK_KILL_SWITCH', 'Withdrawals are suspended for this account.');
      const entry = await deps.addresses.lookup(userId, body.asset, body.address);
      if (!entry) return refuse(ctx, userId, 'WITHDRAWAL_ADDRESS_NOT_ALLOWED', 'Add this address to your withdrawal allowlist first.');
      const now = deps.now();
      if (entry.activatesAt > now) {
        const activatesAt = new Date(entry.activatesAt).toISOString();
        return refuse(ctx, userId, 'WITHDRAWAL_ADDRESS_COOLING_OFF', `The address can be used from ${activatesAt}.`, { activatesAt });
      }

      let screening = 'not-configured';
      let reasons: string[] = [];
      let holdReason: string | null = null;
      if (deps.screening) {
        const verdict = await deps.screening.screen({ userId, asset: body.asset, amount: formatDecimal(amount.value, scale), address: body.address });
        screening = verdict.decision;
        reasons = verdict.reasons;
        if (verdict.decision === 'deny') return refuse(ctx, userId, 'SANCTIONS_HIT', 'The withdrawal was refused by screening.');
        if (verdict.decision === 'hold') holdReason = 'screening';
      } else {
        events.emit('withdrawal.screening.not_configured', ctx, userId, 'info', { asset: body.asset });
      }
      const limit = deps.reviewAbove.get(body.asset);
      if (holdReason === null && limit !== undefined && amount.value > limit) holdReason = 'review-limit';

      const id = randomUUID();
      const row: Row = {
        id, user_id: userId, asset: body.asset, amount: amount.value, address_id: entry.id, status: holdReason ? 'held' : 'pending',
        screening, screening_reasons: JSON.stringify(reasons), hold_reason: holdReason, reviewed_by: null, tx_ref: null, status_reason: null,
        created_at: BigInt(now), updated_at: BigInt(now),
        // A released withdrawal's first payout attempt is due at once (lifecycle.ts claims it).
        payout_attempts: 0n, payout_next_at: holdReason ? null : BigInt(now), payout_flagged_at: null,
      };
      try {
        await db.transaction().execute(async (trx) => {
          await applyBalanceDeltas(trx, [{ userId, asset: body.asset, total: -amount.value, reserved: 0n }], row.created_at);
          await appendJournal(trx, [{ userId, asset: body.asset, amount: -amount.value, kind: 'withdrawal', refId: id }], row.created_at);
          await trx.insertInto('withdrawals').values(row).execute();
        });
      } catch (error) {
        if (error instanceof BalanceGuardError) return refuse(ctx, userId, 'RISK_INSUFFICIENT_BALANCE', `Insufficient available ${body.asset}.`);
        throw error;
      }
      events.emit('withdrawal.requested', ctx, id, 'success', { userId, asset: body.asset, amount: body.amount, status: row.status, screening, holdReason });
      if (row.status !== 'pending') return view(row);
      await deps.onPending(row);
      return view(await db.selectFrom('withdrawals').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
    },

    async list(userId: string) {
      const rows = await db.selectFrom('withdrawals').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').limit(200).execute();
      return rows.map(view);
    },
  };
}

export type WithdrawalService = ReturnType<typeof createWithdrawalService>;
