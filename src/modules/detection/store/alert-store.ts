/**
 * Durable alerts (table detection_alerts, migration 0010). Parameterised Kysely queries only.
 * Acknowledging is an atomic conditional update: of concurrent acks exactly one records its
 * admin, the others see the alert already acknowledged.
 */
import { randomUUID } from 'node:crypto';

import type { Database } from '../../../lib/db/index.js';
import { fromDbTime, toDbTime } from '../../../lib/db/codec.js';
import type { DetectionAlertsTable } from '../../../lib/db/schema.js';
import type { EventSummary, RuleHit, Severity } from '../rules/types.js';

export interface Alert {
  id: string;
  ruleId: string;
  ruleVersion: number;
  severity: Severity;
  title: string;
  groupKey: string;
  events: EventSummary[];
  createdAt: number;
  ackedAt: number | null;
  ackedBy: string | null;
}

export interface AlertQuery {
  status?: 'open' | 'acked';
  severity?: Severity;
  /** Alerts created strictly before this one (cursor = the last id of the previous page). */
  before?: { createdAt: number; id: string };
  limit: number;
}

export interface AlertStore {
  insert(hit: RuleHit, now: number): Promise<Alert>;
  get(id: string): Promise<Alert | null>;
  list(query: AlertQuery): Promise<Alert[]>;
  /** 'acked' when this call acknowledged it, 'already' when someone had, 'missing' when unknown. */
  ack(id: string, by: string, now: number): Promise<{ result: 'acked' | 'already' | 'missing'; alert: Alert | null }>;
}

function fromRow(row: DetectionAlertsTable): Alert {
  return {
    id: row.id, ruleId: row.rule_id, ruleVersion: Number(row.rule_version), severity: row.severity as Severity,
    title: row.title, groupKey: row.group_key, events: JSON.parse(row.events) as EventSummary[],
    createdAt: fromDbTime(row.created_at), ackedAt: row.acked_at === null ? null : fromDbTime(row.acked_at), ackedBy: row.acked_by,
  };
}

export function createAlertStore(db: Database): AlertStore {
  const { kysely } = db;
  const get = async (id: string) => {
    const row = await kysely.selectFrom('detection_alerts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  };
  return {
    get,
    async insert(hit, now) {
      const row: DetectionAlertsTable = {
        id: randomUUID(), rule_id: hit.rule.id, rule_version: BigInt(hit.rule.version), severity: hit.rule.severity,
        title: hit.rule.title, group_key: hit.groupKey, events: JSON.stringify(hit.events),
        created_at: toDbTime(now), acked_at: null, acked_by: null,
      };
      await kysely.insertInto('detection_alerts').values(row).execute();
      return fromRow(row);
    },
    async list(query) {
      let q = kysely.selectFrom('detection_alerts').selectAll();
      if (query.status === 'open') q = q.where('acked_at', 'is', null);
      if (query.status === 'acked') q = q.where('acked_at', 'is not', null);
      if (query.severity) q = q.where('severity', '=', query.severity);
      const before = query.before;
      if (before) {
        const at = toDbTime(before.createdAt);
        q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', before.id)])]));
      }
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
      return rows.map(fromRow);
    },
    async ack(id, by, now) {
      const result = await kysely.updateTable('detection_alerts').set({ acked_at: toDbTime(now), acked_by: by })
        .where('id', '=', id).where('acked_at', 'is', null).executeTakeFirst();
      const alert = await get(id);
      if (alert === null) return { result: 'missing', alert };
      return { result: result.numUpdatedRows > 0n ? 'acked' : 'already', alert };
    },
  };
}
