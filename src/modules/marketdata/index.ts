/**
 * Market-data integrity (issue 8, SPEC §6, docs/marketdata.md): Ed25519-signed price updates
 * (RFC 8032 over RFC 8785 canonical JSON) from registered sources, pushed or pulled; per-symbol
 * bounds, step limits and staleness; a median reference price with a majority quorum and
 * outlier exclusion (exchange index rules, Pyth/Chainlink aggregation); robust-z jump,
 * flat-line and divergence detection that halts the symbol until it recovers or an admin
 * resumes it. Trading's price bands read `referencePrices` (src/lib/pricing).
 */
export {
  createMarketDataCapability,
  type MarketData,
  type MarketDataCapability,
  type MarketDataCapabilityOptions,
} from './capability.js';
export {
  POLICY_DEFAULTS,
  POLICY_LIMITS,
  PRICE_SCALE,
  effectiveQuorum,
  resolvePolicy,
  type PolicyInput,
  type PolicyVerdict,
  type RestingOrdersOnHalt,
  type SymbolPolicy,
  type SymbolPolicyDocument,
} from './policy.js';
export {
  canonicalPayload,
  parseSignedUpdate,
  signPriceUpdate,
  signedUpdateSchema,
  type PriceUpdatePayload,
  type SignedPriceUpdate,
} from './feed/update.js';
export { keyFingerprint, parseSourcePublicKey, type PriceSource } from './feed/source.js';
export { checkSequence, checkStep, checkTimeOrder, verifyPriceUpdate, verifyUpdateSignature, type RejectCode, type Rejection, type UpdateVerdict } from './feed/verify.js';
export { aggregate, isFlatlined, type Aggregate, type Observation, type SourceState, type SourceView } from './aggregate/aggregate.js';
export { deviatesBeyond, deviationBps, medianPrice } from './aggregate/median.js';
export { detectJump, logReturn, robustZ, type JumpVerdict } from './anomaly/jump.js';
export { EMPTY_MEMORY, evaluateSymbol, type Evaluation, type HaltInfo, type HaltReason, type SymbolMemory } from './engine/evaluate.js';
export { MARKETDATA_EVENTS, ALERT_SEVERITY, type AlertKind, type Severity } from './engine/alerts.js';
export type { StatusChange } from './engine/monitor.js';
export { createPuller, type PollReport, type PriceSourceAdapter, type Puller } from './feed/puller.js';
export { createHttpPullAdapter, type HttpPullAdapterOptions } from './feed/http-adapter.js';
export type { PriceView } from './service/quotes.js';
export type { ActionContext, MarketDataAdmin, RegisteredSourceView } from './service/admin.js';
export type { IngestContext, IngestResult } from './service/ingest.js';
export { createFeedSimulator, type FeedSimulator, type FeedSimulatorOptions, type SimulatedSource, type SimulatedSymbol } from './simulator/simulator.js';
