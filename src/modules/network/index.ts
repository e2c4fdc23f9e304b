/**
 * Network protection (issue 7, docs/network.md): rate limits per address, account, API key and
 * route class with adaptive (risk-scored) tightening and recidive bans; global IP allow/deny
 * rules and per-user/per-API-key trading allowlists; load shedding, connection caps and
 * slow-client deadlines. Token buckets live in the shared StateStore (one Redis round trip per
 * decision); rules in the database, cached per replica and invalidated over pub/sub.
 */
export {
  createNetworkCapability,
  type BlockIpOptions,
  type NetworkCapability,
  type NetworkCapabilityOptions,
  type NetworkProtection,
} from './capability.js';
export {
  DEFAULT_NETWORK_CONFIG,
  ROUTE_CLASSES,
  SIGNAL_KINDS,
  resolveNetworkConfig,
  type ClassPolicy,
  type LimitSpec,
  type NetworkConfig,
  type NetworkConfigOverrides,
  type RiskTier,
  type RouteClass,
  type SignalKind,
} from './config.js';
export { clientIpKey, createCidrSet, isIpAllowed, parseCidr, parseIp, type CidrSet } from './ip.js';
export { factorFor, scaleLimit, tierFor } from './risk.js';
export { banDurationMs } from './recidive.js';
export { refuseSelfBlock } from './self-block.js';
export { nextAllowance, pressureOf, type LoadSample } from './shedding.js';
export type { AllowlistSubject, AllowlistVerdict, IpAllowlists } from './allowlists.js';
export type { SignalOptions } from './risk-tracker.js';
export type { ActionContext, NetworkRule, RuleAction, RuleKind, RuleSource } from './rules/types.js';
