/**
 * 0006_network: network protection (src/modules/network, docs/network.md).
 *
 * `network_rules` holds admin IP allow/deny rules, incident-containment blocks and automatic
 * recidive bans in one shape, so one cache and one pub/sub channel serve them all; rows with
 * an `expires_at` in the past are purged by the periodic resync. `network_ip_allowlists` holds
 * the per-user and per-API-key trading allowlists (a JSON array of canonical CIDRs per subject).
 */
import type { Kysely, Migration } from 'kysely';

export const network: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('network_rules')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('kind', 'text', (col) => col.notNull())
      .addColumn('subject', 'text', (col) => col.notNull())
      .addColumn('action', 'text', (col) => col.notNull())
      .addColumn('source', 'text', (col) => col.notNull())
      .addColumn('reason', 'text', (col) => col.notNull())
      .addColumn('created_by', 'text', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('expires_at', 'bigint')
      .execute();
    await db.schema.createIndex('network_rules_expires_at').on('network_rules').column('expires_at').execute();
    await db.schema
      .createTable('network_ip_allowlists')
      .addColumn('subject_kind', 'text', (col) => col.notNull())
      .addColumn('subject_id', 'text', (col) => col.notNull())
      .addColumn('cidrs', 'text', (col) => col.notNull())
      .addColumn('updated_by', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'bigint', (col) => col.notNull())
      .addPrimaryKeyConstraint('network_ip_allowlists_pk', ['subject_kind', 'subject_id'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('network_ip_allowlists').execute();
    await db.schema.dropTable('network_rules').execute();
  },
};
