/**
 * Vulnerability records for the remediation KPI: an id (a CVE or an internal reference), its
 * severity, when it was found and when it was remediated. Recording is an admin action and a
 * security event (audited); a record is created or updated by id.
 */
import type { Kysely } from 'kysely';

import { fromDbTime, toDbTime } from '../../lib/db/index.js';
import type { Tables, VulnerabilitiesTable } from '../../lib/db/schema.js';
import { AppError } from '../../lib/errors/index.js';
import type { Severity } from '../detection/index.js';

export interface Vulnerability {
  id: string;
  severity: Severity;
  title: string;
  foundAt: number;
  remediatedAt: number | null;
  recordedBy: string;
  updatedAt: number;
}

export interface VulnerabilityInput {
  id: string;
  severity: Severity;
  title?: string;
  foundAt: number;
  remediatedAt?: number | null;
}

const fromRow = (row: VulnerabilitiesTable): Vulnerability => ({
  id: row.id, severity: row.severity as Severity, title: row.title, foundAt: fromDbTime(row.found_at),
  remediatedAt: row.remediated_at === null ? null : fromDbTime(row.remediated_at), recordedBy: row.recorded_by, updatedAt: fromDbTime(row.updated_at),
});

export function createVulnerabilityStore(db: Kysely<Tables>) {
  return {
    /** Creates or replaces the record; `created` tells which. */
    async record(input: VulnerabilityInput, by: string, now: number): Promise<{ vulnerability: Vulnerability; created: boolean }> {
      if (input.remediatedAt != null && input.remediatedAt < input.foundAt) {
        throw new AppError('VALIDATION_FAILED', 'body/remediatedAt: must not be before foundAt', { extensions: { path: '/remediatedAt' } });
      }
      if (input.foundAt > now) {
        throw new AppError('VALIDATION_FAILED', 'body/foundAt: must not be in the future', { extensions: { path: '/foundAt' } });
      }
      const row: VulnerabilitiesTable = {
        id: input.id, severity: input.severity, title: input.title ?? '', found_at: toDbTime(input.foundAt),
        remediated_at: input.remediatedAt == null ? null : toDbTime(input.remediatedAt), recorded_by: by, updated_at: toDbTime(now),
      };
      const existed = await db.selectFrom('vulnerabilities').select('id').where('id', '=', input.id).executeTakeFirst();
      await db.insertInto('vulnerabilities').values(row).onConflict((oc) => oc.column('id').doUpdateSet({
        severity: row.severity, title: row.title, found_at: row.found_at, remediated_at: row.remediated_at, recorded_by: by, updated_at: row.updated_at,
      })).execute();
      return { vulnerability: fromRow(row), created: !existed };
    },

    async list(limit: number): Promise<Vulnerability[]> {
      const rows = await db.selectFrom('vulnerabilities').selectAll().orderBy('found_at', 'desc').orderBy('id', 'asc').limit(limit).execute();
      return rows.map(fromRow);
    },

    /** Every record found before `to` (the KPI window's end); bounded by how many exist. */
    async foundBefore(to: number): Promise<Vulnerability[]> {
      const rows = await db.selectFrom('vulnerabilities').selectAll().where('found_at', '<', toDbTime(to)).execute();
      return rows.map(fromRow);
    },
  };
}

export type VulnerabilityStore = ReturnType<typeof createVulnerabilityStore>;
