/**
 * 0002_key_ring: the envelope-encryption key ring of src/modules/crypto (docs/crypto.md).
 *
 * `crypto_keys` holds per-key pointers (primary version, minimum decryption version);
 * `crypto_key_versions` one row per version with its DEK wrapped by a KEK (base64url text, so
 * the column type is the same on both dialects). Usage counts are incremented in place by
 * atomic UPDATEs; times are bigint Unix milliseconds.
 */
import type { Kysely, Migration } from 'kysely';

export const keyRing: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('crypto_keys')
      .addColumn('key_id', 'text', (col) => col.primaryKey())
      .addColumn('primary_version', 'bigint', (col) => col.notNull())
      .addColumn('min_decryption_version', 'bigint', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('destroyed_at', 'bigint')
      .execute();
    await db.schema
      .createTable('crypto_key_versions')
      .addColumn('key_id', 'text', (col) => col.notNull().references('crypto_keys.key_id'))
      .addColumn('version', 'bigint', (col) => col.notNull())
      .addColumn('state', 'text', (col) => col.notNull())
      .addColumn('wrap_alg', 'text', (col) => col.notNull())
      .addColumn('kek_provider', 'text', (col) => col.notNull())
      .addColumn('kek_label', 'text', (col) => col.notNull())
      .addColumn('kek_version', 'bigint', (col) => col.notNull())
      .addColumn('wrapped_dek', 'text', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('demoted_at', 'bigint')
      .addColumn('usage_count', 'bigint', (col) => col.notNull())
      .addPrimaryKeyConstraint('crypto_key_versions_pk', ['key_id', 'version'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('crypto_key_versions').execute();
    await db.schema.dropTable('crypto_keys').execute();
  },
};
