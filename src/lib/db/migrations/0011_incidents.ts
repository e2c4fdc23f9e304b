/**
 * 0011_incidents: incident response (src/modules/incidents, docs/incidents.md).
 *
 * - `incidents`: one row per incident; `status` is changed only by compare-and-set
 *   (`UPDATE … WHERE status = <expected>`), so of concurrent transitions exactly one lands.
 * - `incident_steps`: append-only record of every transition and containment action.
 * - `incident_open_keys`: one row per (rule, group) with an incident not yet closed; its primary
 *   key is what makes concurrent alerts of one pair (on any replica) join one incident.
 * - `vulnerabilities`: found/remediated times for the remediation KPI.
 */
import type { Kysely, Migration } from 'kysely';

export const incidents: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('incidents')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('title', 'text', (col) => col.notNull())
      .addColumn('severity', 'text', (col) => col.notNull())
      .addColumn('status', 'text', (col) => col.notNull())
      .addColumn('opened_by', 'text', (col) => col.notNull())
      .addColumn('source_alert_ids', 'text', (col) => col.notNull())
      .addColumn('dedup_key', 'text')
      .addColumn('detected_at', 'bigint', (col) => col.notNull())
      .addColumn('opened_at', 'bigint', (col) => col.notNull())
      .addColumn('contained_at', 'bigint')
      .addColumn('recovered_at', 'bigint')
      .addColumn('closed_at', 'bigint')
      .addColumn('lessons_learned', 'text')
      .addColumn('updated_at', 'bigint', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('incidents_status_opened_idx').on('incidents').columns(['status', 'opened_at', 'id']).execute();
    await db.schema.createIndex('incidents_opened_idx').on('incidents').columns(['opened_at', 'id']).execute();
    await db.schema
      .createTable('incident_steps')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('incident_id', 'text', (col) => col.notNull().references('incidents.id'))
      .addColumn('at', 'bigint', (col) => col.notNull())
      .addColumn('actor', 'text', (col) => col.notNull())
      .addColumn('kind', 'text', (col) => col.notNull())
      .addColumn('what', 'text', (col) => col.notNull())
      .addColumn('target', 'text')
      .addColumn('result', 'text', (col) => col.notNull())
      .addColumn('details', 'text', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('incident_steps_incident_idx').on('incident_steps').columns(['incident_id', 'at']).execute();
    await db.schema
      .createTable('incident_open_keys')
      .addColumn('dedup_key', 'text', (col) => col.primaryKey())
      .addColumn('incident_id', 'text', (col) => col.notNull().references('incidents.id'))
      .execute();
    await db.schema
      .createTable('vulnerabilities')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('severity', 'text', (col) => col.notNull())
      .addColumn('title', 'text', (col) => col.notNull())
      .addColumn('found_at', 'bigint', (col) => col.notNull())
      .addColumn('remediated_at', 'bigint')
      .addColumn('recorded_by', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'bigint', (col) => col.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('vulnerabilities').execute();
    await db.schema.dropTable('incident_open_keys').execute();
    await db.schema.dropTable('incident_steps').execute();
    await db.schema.dropTable('incidents').execute();
  },
};
