/**
 * Per-account risk limits set by admins (`PUT /v1/admin/risk-limits/{userId}`), stored as JSON
 * with decimal strings (amounts never pass through a JSON number). Anything an admin did not set
 * falls back to the instrument's defaults and the platform's order-rate default.
 */
import { formatDecimal, parseDecimal } from '../../../lib/money/decimal.js';
import type { Instrument } from '../instruments/instrument.js';
import type { SelfTradePrevention } from '../matching/engine.js';
import type { Executor } from '../ledger/accounts.js';
import type { RiskLimits } from './types.js';

/** The stored and wire form. */
export interface AccountLimits {
  maxOrdersPerSecond?: number;
  selfTradePrevention?: SelfTradePrevention;
  symbols?: Record<string, { maxOrderQuantity?: string; maxOrderNotional?: string; maxPosition?: string }>;
}

export interface LimitDefaults {
  maxOrdersPerSecond: number;
  selfTradePrevention: SelfTradePrevention;
}

/** The stored JSON of `trading_risk_limits.limits` (read with the order context, orders/order-context.ts); none: {}. */
export function parseAccountLimits(stored: string | null): AccountLimits {
  return stored === null ? {} : (JSON.parse(stored) as AccountLimits);
}

export async function writeAccountLimits(db: Executor, userId: string, limits: AccountLimits, actor: string, now: number): Promise<void> {
  const row = { user_id: userId, limits: JSON.stringify(limits), updated_by: actor, updated_at: BigInt(now) };
  await db.insertInto('trading_risk_limits').values(row)
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ limits: row.limits, updated_by: row.updated_by, updated_at: row.updated_at }))
    .execute();
}

function amount(text: string | undefined, scale: number, fallback: bigint): bigint {
  if (text === undefined) return fallback;
  const parsed = parseDecimal(text, scale);
  // Stored values were validated on write; a corrupt one falls back to the strictest limit.
  return parsed.ok ? parsed.value : 0n;
}

/** The limits that apply to one order of this account in `instrument`. */
export function effectiveLimits(stored: AccountLimits, instrument: Instrument, defaults: LimitDefaults): RiskLimits {
  const own = stored.symbols?.[instrument.symbol];
  return {
    maxOrderQuantity: amount(own?.maxOrderQuantity, instrument.baseScale, instrument.maxQty),
    maxOrderNotional: amount(own?.maxOrderNotional, instrument.quoteScale, instrument.maxOrderNotional),
    maxPosition: amount(own?.maxPosition, instrument.baseScale, instrument.maxPosition),
    maxOrdersPerWindow: stored.maxOrdersPerSecond ?? defaults.maxOrdersPerSecond,
    selfTradePrevention: stored.selfTradePrevention ?? defaults.selfTradePrevention,
  };
}

/** Effective limits of every instrument, as decimal strings (the admin route's answer). */
export function describeLimits(stored: AccountLimits, instruments: readonly Instrument[], defaults: LimitDefaults) {
  const symbols: Record<string, { maxOrderQuantity: string; maxOrderNotional: string; maxPosition: string }> = {};
  for (const instrument of instruments) {
    const limits = effectiveLimits(stored, instrument, defaults);
    symbols[instrument.symbol] = {
      maxOrderQuantity: formatDecimal(limits.maxOrderQuantity, instrument.baseScale),
      maxOrderNotional: formatDecimal(limits.maxOrderNotional, instrument.quoteScale),
      maxPosition: formatDecimal(limits.maxPosition, instrument.baseScale),
    };
  }
  return {
    maxOrdersPerSecond: stored.maxOrdersPerSecond ?? defaults.maxOrdersPerSecond,
    selfTradePrevention: stored.selfTradePrevention ?? defaults.selfTradePrevention,
    symbols,
  };
}
