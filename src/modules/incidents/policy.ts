/**
 * The automatic side of incident response, as pure functions over an alert:
 * - auto-open: an alert at or above the configured severity opens an incident;
 * - dedup: alerts of one (rule, group) join the incident still open for that pair;
 * - auto-containment: a declared map from rule id to containment actions on the alert's group.
 * The capability applies the decisions; these functions only decide.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

import type { EventSummary, Severity } from '../detection/index.js';

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

export const CONTAINMENT_ACTIONS = ['lock-account', 'revoke-sessions', 'revoke-api-keys', 'block-ip', 'kill-switch'] as const;
export type ContainmentAction = (typeof CONTAINMENT_ACTIONS)[number];

/** What the capability knows of a raised alert (from detection's alert store). */
export interface AlertFacts {
  id: string;
  ruleId: string;
  severity: Severity;
  title: string;
  groupKey: string;
  events: readonly EventSummary[];
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Auto-open: the alert's severity is at least the threshold (default `high`). */
export function shouldOpen(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) >= severityRank(threshold);
}

/**
 * The key that makes an alert storm join one incident: rule id and group. Hashed because the
 * group is attacker-controlled text (an address, a user id, an email).
 */
export function dedupKey(ruleId: string, groupKey: string): string {
  return `${ruleId}:${createHash('sha256').update(groupKey, 'utf8').digest('base64url').slice(0, 32)}`;
}

/** When the attack began: the earliest evidence event of the alert, else `fallback` (now). */
export function detectedAtOf(events: readonly EventSummary[], fallback: number): number {
  let earliest = fallback;
  for (const event of events) if (Number.isSafeInteger(event.time) && event.time < earliest) earliest = event.time;
  return earliest;
}

/** One automatic action of the policy: on whom (the alert's group) and for how long. */
export interface AutoContainmentRule {
  action: ContainmentAction;
  /** block-ip only: how long the block lasts. */
  ttlMs?: number;
}

export type AutoContainmentPolicy = Readonly<Record<string, readonly AutoContainmentRule[]>>;

/**
 * The declared default (docs/incidents.md "Automatic containment"): a reused refresh token means
 * a stolen session, so every session of the account dies; a stuffing address is blocked for an
 * hour (long enough to stop the list, short enough for a shared NAT to recover on its own).
 */
export const DEFAULT_AUTO_CONTAINMENT: AutoContainmentPolicy = {
  'token-reuse': [{ action: 'revoke-sessions' }],
  'credential-stuffing': [{ action: 'block-ip', ttlMs: 60 * 60_000 }],
};

export type PlannedAction =
  | { kind: 'run'; action: ContainmentAction; target: string; ttlMs?: number }
  | { kind: 'skip'; action: ContainmentAction; target: string; reason: string };

const USER_ACTIONS: readonly ContainmentAction[] = ['lock-account', 'revoke-sessions', 'revoke-api-keys'];
const NOT_A_USER = new Set(['anonymous', 'system', '']);

/**
 * The automatic actions for an alert. `isProtectedIp` names addresses never blocked
 * automatically (loopback, the trusted proxies: blocking those blocks every client).
 */
export function plannedContainment(alert: AlertFacts, policy: AutoContainmentPolicy, isProtectedIp: (ip: string) => boolean): PlannedAction[] {
  const rules = Object.hasOwn(policy, alert.ruleId) ? policy[alert.ruleId] ?? [] : [];
  const target = alert.groupKey;
  return rules.map((rule): PlannedAction => {
    if (rule.action === 'block-ip') {
      if (isIP(target) === 0) return { kind: 'skip', action: rule.action, target, reason: 'the alert group is not an IP address' };
      if (isProtectedIp(target)) return { kind: 'skip', action: rule.action, target, reason: 'protected address (loopback or trusted proxy)' };
      return { kind: 'run', action: rule.action, target, ...(rule.ttlMs === undefined ? {} : { ttlMs: rule.ttlMs }) };
    }
    if (USER_ACTIONS.includes(rule.action)) {
      if (NOT_A_USER.has(target) || isIP(target) !== 0) return { kind: 'skip', action: rule.action, target, reason: 'the alert group is not a user id' };
      return { kind: 'run', action: rule.action, target };
    }
    // A kill switch stops trading for everyone it covers: never engaged by a rule on its own.
    return { kind: 'skip', action: rule.action, target, reason: 'not an automatic action' };
  });
}
