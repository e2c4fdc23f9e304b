/**
 * Ordered migration registry for the Kysely `Migrator` (static provider).
 *
 * Rules (see docs/storage.md): append only, never edit or reorder an applied
 * migration; names are `NNNN_snake_case`; use only the portable schema builder
 * so every migration runs on SQLite and PostgreSQL; integer columns are `bigint`.
 */
import type { Migration } from 'kysely';

import { foundation } from './0001_foundation.js';
import { keyRing } from './0002_key_ring.js';
import { identity } from './0003_identity.js';
import { mfa } from './0004_mfa.js';
import { auditLog } from './0005_audit_log.js';
import { network } from './0006_network.js';
import { trading } from './0007_trading.js';
import { marketData } from './0008_marketdata.js';
import { apiKeys } from './0009_api_keys.js';
import { detectionAlerts } from './0010_detection_alerts.js';
import { incidents } from './0011_incidents.js';
import { tradingDepositsPayouts } from './0012_trading_deposits_payouts.js';
import { withdrawalPayoutRetry } from './0013_withdrawal_payout_retry.js';
import { tradingLedgerUnindexed } from './0014_trading_ledger_unindexed.js';

/** Migrations in apply order. Keys sort lexicographically in the same order. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_key_ring': keyRing,
  '0003_identity': identity,
  '0004_mfa': mfa,
  '0005_audit_log': auditLog,
  '0006_network': network,
  '0007_trading': trading,
  '0008_marketdata': marketData,
  '0009_api_keys': apiKeys,
  '0010_detection_alerts': detectionAlerts,
  '0011_incidents': incidents,
  '0012_trading_deposits_payouts': tradingDepositsPayouts,
  '0013_withdrawal_payout_retry': withdrawalPayoutRetry,
  '0014_trading_ledger_unindexed': tradingLedgerUnindexed,
};
