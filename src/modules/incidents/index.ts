/**
 * Incident response (SPEC §7, docs/incidents.md): incidents opened by hand or from alerts
 * (deduplicated per rule and group), containment through the owning capabilities, a lifecycle
 * with compare-and-set transitions, a forensic timeline from the audit log, response-time
 * metrics and security KPIs.
 */
export { createIncidentsCapability, type IncidentsCapability, type IncidentsCapabilityOptions, type IncidentsDeps } from './capability.js';
export { acceptsActions, checkTransition, INCIDENT_STATUSES, statusAfterAction, TRANSITIONS, type IncidentStatus } from './lifecycle.js';
export {
  CONTAINMENT_ACTIONS, DEFAULT_AUTO_CONTAINMENT, dedupKey, detectedAtOf, plannedContainment, shouldOpen,
  type AutoContainmentPolicy, type AutoContainmentRule, type ContainmentAction, type PlannedAction,
} from './policy.js';
export { CONTAINMENT_TARGET_MS, percentile } from './kpis.js';
export type { IncidentService } from './service.js';
export type { Incident, IncidentStep } from './types.js';
export type { Timeline, TimelineEntry } from './timeline.js';
