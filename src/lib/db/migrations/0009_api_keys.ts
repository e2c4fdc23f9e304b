/**
 * 0009_api_keys: API keys for RFC 9421 signed requests (src/modules/apikeys, docs/apikeys.md).
 *
 * An `ed25519` key stores the client's SubjectPublicKeyInfo PEM; an `hmac-sha256` key stores
 * its secret only as a FieldProtector ciphertext bound to this row (AAD api_keys|secret_ciphertext|key_id),
 * wiped on revocation. Revoked rows stay (audit trail, 404 on reuse), excluded from lookups.
 */
import type { Kysely, Migration } from 'kysely';

export const apiKeys: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('api_keys')
      .addColumn('key_id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id'))
      .addColumn('label', 'text', (col) => col.notNull())
      .addColumn('algorithm', 'text', (col) => col.notNull())
      .addColumn('public_key', 'text')
      .addColumn('secret_ciphertext', 'text')
      .addColumn('scopes', 'text', (col) => col.notNull())
      .addColumn('ip_allowlist', 'text', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .addColumn('revoked_reason', 'text')
      .execute();
    await db.schema.createIndex('api_keys_user_idx').on('api_keys').columns(['user_id', 'revoked_at']).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('api_keys').execute();
  },
};
