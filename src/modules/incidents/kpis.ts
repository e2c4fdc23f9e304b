/**
 * Security KPIs (docs/incidents.md "KPIs"), computed from the record rather than from per-process
 * counters so every replica answers the same and a restart loses nothing:
 * - authentication: `auth.login` audit entries in the window, by outcome (success vs failure
 *   and denied); counted in the audit table, whose (action, seq) index narrows the scan;
 * - incident response: time to detect/contain/close of incidents opened in the window, median
 *   and p90, against the 15-minute containment target;
 * - vulnerability remediation: median time from found to remediated, per severity.
 */
import type { Kysely } from 'kysely';

import type { Tables } from '../../lib/db/schema.js';
import { SEVERITIES } from './policy.js';
import type { Incident } from './types.js';
import type { Vulnerability } from './vulnerabilities.js';

export const CONTAINMENT_TARGET_MS = 15 * 60_000;

/** Nearest-rank percentile (p in (0, 100]) of a list; null when empty. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 100) / 10);

function phase(durations: number[]) {
  return { count: durations.length, medianSeconds: seconds(percentile(durations, 50)), p90Seconds: seconds(percentile(durations, 90)) };
}

export function incidentKpis(incidents: readonly Incident[], now: number) {
  const detect = incidents.map((i) => i.openedAt - i.detectedAt);
  const contained = incidents.filter((i) => i.containedAt !== null);
  const contain = contained.map((i) => (i.containedAt as number) - i.detectedAt);
  const close = incidents.filter((i) => i.closedAt !== null).map((i) => (i.closedAt as number) - i.detectedAt);
  return {
    opened: incidents.length,
    detect: phase(detect),
    contain: {
      ...phase(contain),
      targetSeconds: CONTAINMENT_TARGET_MS / 1000,
      overTarget: contain.filter((ms) => ms > CONTAINMENT_TARGET_MS).length,
      // Not contained at all and already past the target: as much a miss as a late containment.
      uncontainedOverTarget: incidents.filter((i) => i.containedAt === null && i.closedAt === null && now - i.detectedAt > CONTAINMENT_TARGET_MS).length,
    },
    close: phase(close),
  };
}

export function remediationKpis(vulnerabilities: readonly Vulnerability[]) {
  return Object.fromEntries(SEVERITIES.map((severity) => {
    const of = vulnerabilities.filter((v) => v.severity === severity);
    const remediated = of.flatMap((v) => (v.remediatedAt === null ? [] : [v.remediatedAt - v.foundAt]));
    return [severity, {
      open: of.length - remediated.length,
      remediated: remediated.length,
      medianRemediationSeconds: seconds(percentile(remediated, 50)),
    }];
  }));
}

/** `auth.login` outcomes in [from, to) from the audit table (docs/incidents.md). */
export async function authenticationKpis(db: Kysely<Tables>, from: number, to: number) {
  const rows = await db.selectFrom('audit_entries')
    .select(['outcome', (eb) => eb.fn.countAll<bigint | number | string>().as('n')])
    .where('action', '=', 'auth.login').where('time', '>=', BigInt(from)).where('time', '<', BigInt(to))
    .groupBy('outcome').execute();
  const count = (outcome: string) => Number(rows.find((r) => r.outcome === outcome)?.n ?? 0);
  const succeeded = count('success');
  const failed = count('failure') + count('denied');
  const attempts = succeeded + failed;
  return {
    attempts, succeeded, failed,
    successRate: attempts === 0 ? null : Math.round((succeeded / attempts) * 10_000) / 10_000,
    failedShare: attempts === 0 ? null : Math.round((failed / attempts) * 10_000) / 10_000,
  };
}
