/**
 * 0010_detection_alerts: alerts raised by the detection rules (src/modules/detection,
 * docs/detection.md). One row per (rule, group, window) hit; `events` is the JSON list of the
 * triggering event summaries. Rows are never deleted; acknowledging sets acked_at/acked_by.
 */
import type { Kysely, Migration } from 'kysely';

export const detectionAlerts: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('detection_alerts')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('rule_id', 'text', (col) => col.notNull())
      .addColumn('rule_version', 'bigint', (col) => col.notNull())
      .addColumn('severity', 'text', (col) => col.notNull())
      .addColumn('title', 'text', (col) => col.notNull())
      .addColumn('group_key', 'text', (col) => col.notNull())
      .addColumn('events', 'text', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('acked_at', 'bigint')
      .addColumn('acked_by', 'text')
      .execute();
    await db.schema.createIndex('detection_alerts_created_idx').on('detection_alerts').columns(['created_at', 'id']).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('detection_alerts').execute();
  },
};
