/**
 * Incident storage (0011_incidents). Contracts:
 * - `openOrJoin`: of concurrent calls for one dedup key (any replica), exactly one inserts an
 *   incident; the others join it. The `incident_open_keys` primary key decides, inside a
 *   transaction that also inserts the incident, so a loser leaves no orphan row.
 * - `setStatus`: compare-and-set on `status`; false when another writer moved it first.
 * - `stampContained`: sets `contained_at` only if unset; true for the one caller that set it.
 * Steps are append-only. Alert ids after the first are steps (kind `alert`), never a
 * read-modify-write of the incident row, so concurrent joins cannot lose one.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';

import { fromDbTime, toDbTime } from '../../lib/db/index.js';
import type { IncidentStepsTable, IncidentsTable, Tables } from '../../lib/db/schema.js';
import type { Severity } from '../detection/index.js';
import type { IncidentStatus } from './lifecycle.js';
import type { Incident, IncidentStep } from './types.js';

export interface NewIncident {
  title: string;
  severity: Severity;
  openedBy: string;
  alertId: string | null;
  detectedAt: number;
  openedAt: number;
}

export interface IncidentQuery {
  status?: IncidentStatus;
  /** Incidents opened strictly before this one (keyset cursor). */
  before?: { openedAt: number; id: string };
  limit: number;
}

export type StepInput = Omit<IncidentStep, 'id'>;

export interface StatusPatch {
  containedAt?: number;
  recoveredAt?: number;
  closedAt?: number;
  lessonsLearned?: string;
}

const CAS_RETRIES = 3;

function fromRow(row: IncidentsTable): Omit<Incident, 'sourceAlertIds'> & { openingAlerts: string[] } {
  const time = (v: bigint | null) => (v === null ? null : fromDbTime(v));
  return {
    id: row.id, title: row.title, severity: row.severity as Severity, status: row.status as IncidentStatus, openedBy: row.opened_by,
    openingAlerts: JSON.parse(row.source_alert_ids) as string[],
    detectedAt: fromDbTime(row.detected_at), openedAt: fromDbTime(row.opened_at), containedAt: time(row.contained_at),
    recoveredAt: time(row.recovered_at), closedAt: time(row.closed_at), lessonsLearned: row.lessons_learned, updatedAt: fromDbTime(row.updated_at),
  };
}

function stepFromRow(row: IncidentStepsTable): IncidentStep {
  return {
    id: row.id, incidentId: row.incident_id, at: fromDbTime(row.at), actor: row.actor, kind: row.kind as IncidentStep['kind'],
    what: row.what, target: row.target, result: row.result as IncidentStep['result'], details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

/**
 * Step ids sort in creation order within one millisecond on one replica (a per-process counter
 * after the time), so steps written in the same tick read back in the order they happened.
 */
let stepCounter = 0;
function stepId(at: number): string {
  stepCounter = (stepCounter + 1) % 2_176_782_336;
  return `${at.toString(36).padStart(9, '0')}-${stepCounter.toString(36).padStart(6, '0')}-${randomUUID().slice(0, 8)}`;
}

function stepRow(step: StepInput): IncidentStepsTable {
  return {
    id: stepId(step.at), incident_id: step.incidentId, at: toDbTime(step.at), actor: step.actor, kind: step.kind, what: step.what,
    target: step.target, result: step.result, details: JSON.stringify(step.details),
  };
}

/** Thrown inside the transaction to roll back an insert that lost the dedup race. */
class LostRace extends Error {}

export function createIncidentStore(db: Kysely<Tables>) {
  async function withAlerts(rows: IncidentsTable[]): Promise<Incident[]> {
    if (rows.length === 0) return [];
    const joined = await db.selectFrom('incident_steps').select(['incident_id', 'target'])
      .where('incident_id', 'in', rows.map((r) => r.id)).where('kind', '=', 'alert')
      .orderBy('at', 'asc').orderBy('id', 'asc').execute();
    return rows.map((row) => {
      const { openingAlerts, ...rest } = fromRow(row);
      const later = joined.filter((j) => j.incident_id === row.id && j.target !== null).map((j) => j.target as string);
      return { ...rest, sourceAlertIds: [...openingAlerts, ...later.filter((id) => !openingAlerts.includes(id))] };
    });
  }

  const get = async (id: string): Promise<Incident | null> => {
    const row = await db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? (await withAlerts([row]))[0] ?? null : null;
  };

  async function insert(trx: Transaction<Tables> | Kysely<Tables>, incident: NewIncident, dedupKey: string | null): Promise<string> {
    const id = randomUUID();
    await trx.insertInto('incidents').values({
      id, title: incident.title, severity: incident.severity, status: 'detected', opened_by: incident.openedBy,
      source_alert_ids: JSON.stringify(incident.alertId ? [incident.alertId] : []), dedup_key: dedupKey,
      detected_at: toDbTime(incident.detectedAt), opened_at: toDbTime(incident.openedAt), contained_at: null, recovered_at: null,
      closed_at: null, lessons_learned: null, updated_at: toDbTime(incident.openedAt),
    }).execute();
    await trx.insertInto('incident_steps').values(stepRow({
      incidentId: id, at: incident.openedAt, actor: incident.openedBy, kind: 'opened', what: 'opened', target: incident.alertId,
      result: 'success', details: { severity: incident.severity },
    })).execute();
    return id;
  }

  /** Adds the alert to the incident holding `dedupKey`; null when no open incident holds it. */
  async function joinIfOpen(alert: { alertId: string; severity: Severity; openedAt: number }, dedupKey: string): Promise<string | null> {
    const existing = await db.selectFrom('incident_open_keys').select('incident_id').where('dedup_key', '=', dedupKey).executeTakeFirst();
    if (!existing) return null;
    await db.insertInto('incident_steps').values(stepRow({
      incidentId: existing.incident_id, at: alert.openedAt, actor: 'system', kind: 'alert', what: 'alert-joined',
      target: alert.alertId, result: 'info', details: { severity: alert.severity },
    })).execute();
    return existing.incident_id;
  }

  return {
    get,
    joinIfOpen,

    /**
     * A hand-opened incident: always a new one. With a dedup key (its first alert's pair) it
     * also claims the pair if no open incident holds it, so later alerts of the pair join it.
     */
    async open(incident: NewIncident, dedupKey: string | null): Promise<string> {
      return db.transaction().execute(async (trx) => {
        const id = await insert(trx, incident, dedupKey);
        if (dedupKey !== null) {
          await trx.insertInto('incident_open_keys').values({ dedup_key: dedupKey, incident_id: id })
            .onConflict((oc) => oc.column('dedup_key').doNothing()).execute();
        }
        return id;
      });
    },

    /** Opens an incident for `dedupKey`, or joins the one not yet closed. */
    async openOrJoin(incident: NewIncident & { alertId: string }, dedupKey: string): Promise<{ incidentId: string; joined: boolean }> {
      for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
        const joined = await joinIfOpen(incident, dedupKey);
        if (joined !== null) return { incidentId: joined, joined: true };
        try {
          const id = await db.transaction().execute(async (trx) => {
            const id = await insert(trx, incident, dedupKey);
            const claimed = await trx.insertInto('incident_open_keys').values({ dedup_key: dedupKey, incident_id: id })
              .onConflict((oc) => oc.column('dedup_key').doNothing()).executeTakeFirst();
            if (claimed.numInsertedOrUpdatedRows !== 1n) throw new LostRace();
            return id;
          });
          return { incidentId: id, joined: false };
        } catch (error) {
          if (!(error instanceof LostRace)) throw error;
          // Another replica opened it between our read and our insert: join theirs.
        }
      }
      throw new Error(`incident dedup key ${dedupKey} kept changing`);
    },

    async list(query: IncidentQuery): Promise<Incident[]> {
      let q = db.selectFrom('incidents').selectAll();
      if (query.status) q = q.where('status', '=', query.status);
      const before = query.before;
      if (before) {
        const at = toDbTime(before.openedAt);
        q = q.where((eb) => eb.or([eb('opened_at', '<', at), eb.and([eb('opened_at', '=', at), eb('id', '<', before.id)])]));
      }
      return withAlerts(await q.orderBy('opened_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute());
    },

    /** Incidents opened in [from, to), for the KPIs. */
    async openedBetween(from: number, to: number): Promise<Incident[]> {
      const rows = await db.selectFrom('incidents').selectAll()
        .where('opened_at', '>=', toDbTime(from)).where('opened_at', '<', toDbTime(to)).execute();
      return rows.map((row) => ({ ...fromRow(row), sourceAlertIds: [] }));
    },

    async countOpen(): Promise<number> {
      const row = await db.selectFrom('incidents').select((eb) => eb.fn.countAll<bigint | number | string>().as('n'))
        .where('status', '!=', 'closed').executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    /** Compare-and-set: moves `id` from `from` to `to` only if it is still `from`. */
    async setStatus(id: string, from: IncidentStatus, to: IncidentStatus, patch: StatusPatch, now: number): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const result = await trx.updateTable('incidents').set({
          status: to, updated_at: toDbTime(now),
          ...(patch.containedAt === undefined ? {} : { contained_at: toDbTime(patch.containedAt) }),
          ...(patch.recoveredAt === undefined ? {} : { recovered_at: toDbTime(patch.recoveredAt) }),
          ...(patch.closedAt === undefined ? {} : { closed_at: toDbTime(patch.closedAt) }),
          ...(patch.lessonsLearned === undefined ? {} : { lessons_learned: patch.lessonsLearned }),
        }).where('id', '=', id).where('status', '=', from).executeTakeFirst();
        if (result.numUpdatedRows !== 1n) return false;
        // A closed incident frees its (rule, group): the next alert opens a new incident.
        if (to === 'closed') await trx.deleteFrom('incident_open_keys').where('incident_id', '=', id).execute();
        return true;
      });
    },

    async stampContained(id: string, at: number): Promise<boolean> {
      const result = await db.updateTable('incidents').set({ contained_at: toDbTime(at), updated_at: toDbTime(at) })
        .where('id', '=', id).where('contained_at', 'is', null).executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async addStep(step: StepInput): Promise<IncidentStep> {
      const row = stepRow(step);
      await db.insertInto('incident_steps').values(row).execute();
      return stepFromRow(row);
    },

    async steps(incidentId: string): Promise<IncidentStep[]> {
      const rows = await db.selectFrom('incident_steps').selectAll().where('incident_id', '=', incidentId)
        .orderBy('at', 'asc').orderBy('id', 'asc').execute();
      return rows.map(stepFromRow);
    },
  };
}

export type IncidentStore = ReturnType<typeof createIncidentStore>;
