/**
 * The trading core (issue 5; SPEC §5; docs/trading.md): instruments, integer-unit ledger,
 * pure pre-trade risk, a pure price-time-priority matching engine with one writer per symbol
 * (leases with fencing across replicas), kill switches and withdrawals.
 */
export { createTradingCapability, type TradingCapability, type TradingCapabilityOptions } from './capability.js';
export { DEFAULT_TRADING_CONFIG, resolveTradingConfig, type TradingConfig } from './config.js';
export { defineInstrument, notional, type Instrument, type InstrumentSpec } from './instruments/instrument.js';
export { addResting, createOrderBook, depth, removeResting, type OrderBook, type RestingOrder, type Side } from './matching/book.js';
export { applyMatch, matchOrder, type Fill, type IncomingOrder, type MatchResult, type SelfTradePrevention, type TimeInForce } from './matching/engine.js';
export { evaluateRisk, validateOrderShape } from './risk/evaluate.js';
export { protectionPrice, REFERENCE_SCALE, toReferencePrice, withinBand } from './risk/band.js';
export type { OrderRequest, ReferencePrice, RiskCode, RiskInput, RiskLimits, RiskVerdict } from './risk/types.js';
export { reservationOf, settleMatch, type BalanceDelta, type Settlement } from './ledger/settlement.js';
export { combineReferenceSources, createAdminReferenceSource } from './reference/admin-source.js';
export {
  createEmailWithdrawalNotifier, manualPayout, type PayoutOutcome, type PayoutRequest, type ScreeningRequest, type ScreeningVerdict,
  type WithdrawalNotifier, type WithdrawalPayout, type WithdrawalScreening,
} from './withdrawals/ports.js';
export type { PayoutRecord, WithdrawalLifecycle } from './withdrawals/lifecycle.js';
export { createWebhookPayout, parsePayoutAnswer, type WebhookPayoutOptions } from './withdrawals/webhook-payout.js';
export type { OrderView, FillView } from './orders/view.js';
