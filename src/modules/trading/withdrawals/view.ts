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
