/**
 * 0001_foundation: the versioned `settings` key/value store.
 *
 * `value` is JSON text, NULL for a deleted key (tombstone); `version` increments on every
 * write, including deletes, and is the compare-and-swap token; `updated_at` is Unix ms.
 */
import type { Kysely, Migration } from 'kysely';

export const foundation: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (col) => col.primaryKey())
      .addColumn('value', 'text')
      .addColumn('version', 'bigint', (col) => col.notNull())
      .addColumn('updated_at', 'bigint', (col) => col.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('settings').execute();
  },
};
