/** The wire form of a withdrawal (decimal strings, ISO times). */
import type { Selectable } from 'kysely';
import type { WithdrawalsTable } from '../../../lib/db/schema.js';
import { formatDecimal } from '../../../lib/money/decimal.js';

export type WithdrawalRow = Selectable<WithdrawalsTable>;

export function withdrawalView(row: WithdrawalRow, scale: number) {
  return {
    withdrawalId: row.id, asset: row.asset, amount: formatDecimal(row.amount, scale), addressId: row.address_id,
    status: row.status, screening: row.screening, holdReason: row.hold_reason, statusReason: row.status_reason, txId: row.tx_ref,
    createdAt: new Date(Number(row.created_at)).toISOString(), updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}

export type WithdrawalView = ReturnType<typeof withdrawalView>;

/**
 * The admin form: the owner, the destination in clear, and the payout attempts. `payoutFlaggedAt`
 * set = the automatic attempts are exhausted and an operator must find out what happened.
 */
export function adminWithdrawalView(row: WithdrawalRow, scale: number, address: string | null) {
  const time = (ms: bigint | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
  return {
    ...withdrawalView(row, scale), userId: row.user_id, address,
    payoutAttempts: Number(row.payout_attempts), payoutNextAttemptAt: time(row.payout_next_at), payoutFlaggedAt: time(row.payout_flagged_at),
  };
}
