/**
 * The forensic timeline of an incident: audit entries over the incident's window that involve
 * its subjects (users, addresses and API keys named by the alert evidence and by the actions),
 * merged with the incident's own steps, in time order.
 *
 * Audit data is pseudonymised (docs/audit.md), so subjects are mapped to their stored form
 * first: `storedIdentity` for actor/target values, the `ip` pseudonym for the address column.
 * The audit search filters on actor/action/outcome only, so the window is scanned in pages and
 * matched here, up to `maxScanned` entries (the answer says when it was truncated).
 */
import { isIP } from 'node:net';

import type { AuditEntry, AuditLogger } from '../audit/index.js';
import type { Incident, IncidentStep } from './types.js';

export interface TimelineEntry {
  time: number;
  source: 'audit' | 'incident';
  /** Audit seq, for `GET /v1/admin/audit/proof/{seq}`; null for incident steps. */
  seq: number | null;
  action: string;
  actor: string;
  target: string | null;
  outcome: string;
  ip: string | null;
  details: Record<string, unknown>;
}

export interface Timeline {
  incidentId: string;
  from: number;
  to: number;
  /** The subjects as searched (pseudonyms where the audit log stores pseudonyms). */
  subjects: string[];
  truncated: boolean;
  entries: TimelineEntry[];
}

export interface TimelineOptions {
  /** Looked back before detection: the reconnaissance before the first evidence. */
  lookbackMs: number;
  maxScanned: number;
  pageSize: number;
}

export const DEFAULT_TIMELINE_OPTIONS: TimelineOptions = { lookbackMs: 15 * 60_000, maxScanned: 20_000, pageSize: 500 };

/** Clear-text subjects: evidence actors/targets/addresses and action targets (system names left out). */
export function subjectsOf(evidence: readonly { actor: string; target: string | null; ip: string | null }[], steps: readonly IncidentStep[]): Set<string> {
  const out = new Set<string>();
  const add = (value: string | null | undefined) => {
    if (value && value !== 'system' && value !== 'anonymous') out.add(value);
  };
  for (const event of evidence) {
    add(event.actor);
    add(event.target);
    add(event.ip);
  }
  for (const step of steps) {
    if (step.kind !== 'action' || step.target === null) continue;
    // `user:<id>` (kill switch) and `a.b.c.d/32` (block) name a user or one address.
    const target = step.target.replace(/^user:/, '').replace(/\/(32|128)$/, '');
    add(target);
  }
  return out;
}

export async function buildTimeline(deps: {
  audit: AuditLogger;
  incident: Incident;
  steps: readonly IncidentStep[];
  evidence: readonly { actor: string; target: string | null; ip: string | null }[];
  now: number;
  options?: TimelineOptions;
}): Promise<Timeline> {
  const { audit, incident, steps } = deps;
  const options = deps.options ?? DEFAULT_TIMELINE_OPTIONS;
  const clear = subjectsOf(deps.evidence, steps);
  const identities = new Set<string>();
  const addresses = new Set<string>();
  for (const subject of clear) {
    identities.add(audit.storedIdentity(subject));
    if (isIP(subject) !== 0) addresses.add(audit.pseudonymise('ip', subject));
  }
  const from = incident.detectedAt - options.lookbackMs;
  const to = (incident.closedAt ?? deps.now) + 1;

  const matched: AuditEntry[] = [];
  let scanned = 0;
  let cursor: number | undefined;
  let truncated = false;
  for (;;) {
    const page = await audit.search({ from, to, order: 'asc', limit: options.pageSize, ...(cursor === undefined ? {} : { cursor }) });
    for (const entry of page.entries) {
      // The incident's own steps come from its table (with clear targets), not twice.
      if (entry.action.startsWith('incident.')) continue;
      if (identities.has(entry.actor) || (entry.target !== null && identities.has(entry.target)) || (entry.ip !== null && addresses.has(entry.ip))) matched.push(entry);
    }
    scanned += page.entries.length;
    if (page.nextCursor === null) break;
    if (scanned >= options.maxScanned) {
      truncated = true;
      break;
    }
    cursor = page.nextCursor;
  }

  const entries: TimelineEntry[] = [
    ...matched.map((e): TimelineEntry => ({
      time: e.time, source: 'audit', seq: e.seq, action: e.action, actor: e.actor, target: e.target, outcome: e.outcome, ip: e.ip,
      details: e.details as Record<string, unknown>,
    })),
    ...steps.map((s): TimelineEntry => ({
      time: s.at, source: 'incident', seq: null, action: `incident.${s.kind}:${s.what}`, actor: s.actor, target: s.target, outcome: s.result, ip: null,
      details: s.details,
    })),
  ];
  // Stable sort: audit entries keep their seq order, steps their step order, within one millisecond.
  entries.sort((a, b) => a.time - b.time);
  return { incidentId: incident.id, from, to, subjects: [...identities, ...addresses].sort(), truncated, entries };
}
