/**
 * Detection and alerting (SPEC §7): declarative rules over the security event stream, alerts in
 * the database, admin routes and a signed real-time webhook. See docs/detection.md.
 */
export { createDetectionCapability, type DetectionCapability, type DetectionCapabilityOptions } from './capability.js';
export {
  adminRecipients, createAlertDeliveryCapability, type AlertDeliveryCapability, type AlertDeliveryOptions,
} from './delivery/index.js';
export { createBaselines, type Anomaly, type Baselines } from './baseline/baseline.js';
export { DEFAULT_BASELINE_POLICY, learn, scoreObservation, type BaselinePolicy, type Profile } from './baseline/profile.js';
export { createDetector, MAX_EVIDENCE, type Detector } from './engine/detector.js';
export { travelBetween } from './engine/travel.js';
export { distanceKm } from './geo/distance.js';
export { createGeoipLocator, type GeoLocation, type GeoLocator } from './geo/locator.js';
export { DEFAULT_RULES } from './rules/defaults.js';
export { diffRuleSets, manifestOf, type RuleSetChange, type RuleSetEntry } from './rules/manifest.js';
export { fieldOf, matchesEvent } from './rules/match.js';
export type {
  DetectionRule, DistinctRule, EventField, EventMatcher, EventSummary, NewValueRule, RuleHit, SequenceRule, Severity, SingleRule,
  ThresholdRule, TravelRule,
} from './rules/types.js';
export { validateRules } from './rules/validate.js';
export { createAlertStore, type Alert, type AlertStore } from './store/alert-store.js';
export { recordRuleSet } from './store/rule-set-record.js';
export { backoffMs, createAlertWebhook, type AlertWebhook } from './webhook/alert-webhook.js';
