/**
 * Detection and alerting (SPEC §7): declarative rules over the security event stream, alerts in
 * the database, admin routes and a signed real-time webhook. See docs/detection.md.
 */
export { createDetectionCapability, type DetectionCapability, type DetectionCapabilityOptions } from './capability.js';
export {
  adminRecipients, createAlertDeliveryCapability, type AlertDeliveryCapability, type AlertDeliveryOptions,
} from './delivery/index.js';
export { createDetector, MAX_EVIDENCE, type Detector } from './engine/detector.js';
export { DEFAULT_RULES } from './rules/defaults.js';
export { fieldOf, matchesEvent } from './rules/match.js';
export type {
  DetectionRule, DistinctRule, EventField, EventMatcher, EventSummary, RuleHit, SequenceRule, Severity, SingleRule, ThresholdRule,
} from './rules/types.js';
export { validateRules } from './rules/validate.js';
export { createAlertStore, type Alert, type AlertStore } from './store/alert-store.js';
export { backoffMs, createAlertWebhook, type AlertWebhook } from './webhook/alert-webhook.js';
