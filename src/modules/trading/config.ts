/**
 * The trading policy a deployment may override through `createTradingCapability(core, { config })`.
 * Validated once at boot and frozen (STYLE §8).
 */
import type { SelfTradePrevention } from './matching/engine.js';

export interface TradingConfig {
  /** Orders per account per second unless an admin set another limit. */
  maxOrdersPerSecond: number;
  selfTradePrevention: SelfTradePrevention;
  /** An admin-set reference price older than this is stale (PRICE_STALE). */
  adminReferenceMaxAgeMs: number;
  /** Book ownership lease (PostgreSQL): takeover delay after a replica dies. */
  leaseTtlMs: number;
  /** How long a non-owner waits for the book owner's answer. */
  forwardTimeoutMs: number;
  withdrawals: {
    /** A new address can be used only after this cooling-off period (default 24 h). */
    coolingOffMs: number;
    /** Per asset, amounts above this (decimal string) are held for review. */
    reviewAbove: Readonly<Record<string, string>>;
  };
}

export const DEFAULT_TRADING_CONFIG: TradingConfig = {
  maxOrdersPerSecond: 50,
  selfTradePrevention: 'reject',
  adminReferenceMaxAgeMs: 24 * 60 * 60_000,
  leaseTtlMs: 5_000,
  forwardTimeoutMs: 5_000,
  withdrawals: {
    coolingOffMs: 24 * 60 * 60_000,
    reviewAbove: { BTC: '1', ETH: '20', USD: '50000' },
  },
};

export function resolveTradingConfig(overrides: Partial<Omit<TradingConfig, 'withdrawals'>> & { withdrawals?: Partial<TradingConfig['withdrawals']> } = {}): TradingConfig {
  const config: TradingConfig = {
    ...DEFAULT_TRADING_CONFIG,
    ...overrides,
    withdrawals: { ...DEFAULT_TRADING_CONFIG.withdrawals, ...overrides.withdrawals },
  };
  const positiveInt = (n: number, what: string) => {
    if (!Number.isSafeInteger(n) || n <= 0) throw new TypeError(`trading config: ${what} must be a positive integer`);
  };
  positiveInt(config.maxOrdersPerSecond, 'maxOrdersPerSecond');
  positiveInt(config.adminReferenceMaxAgeMs, 'adminReferenceMaxAgeMs');
  positiveInt(config.leaseTtlMs, 'leaseTtlMs');
  positiveInt(config.forwardTimeoutMs, 'forwardTimeoutMs');
  if (!Number.isSafeInteger(config.withdrawals.coolingOffMs) || config.withdrawals.coolingOffMs < 0) {
    throw new TypeError('trading config: withdrawals.coolingOffMs must be a non-negative integer');
  }
  return Object.freeze({ ...config, withdrawals: Object.freeze({ ...config.withdrawals, reviewAbove: Object.freeze({ ...config.withdrawals.reviewAbove }) }) });
}
