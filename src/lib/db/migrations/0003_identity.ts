/**
 * 0003_identity: accounts, sessions, refresh-token families and JWT signing keys
 * (src/modules/identity). Personal fields (email, session IP and user agent) are ciphertexts
 * from the crypto module; `email_index` is the keyed blind index used for lookup.
 */
import type { Kysely, Migration } from 'kysely';

export const identity: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('email_ciphertext', 'text', (col) => col.notNull())
      .addColumn('email_index', 'text', (col) => col.notNull().unique())
      .addColumn('phone_ciphertext', 'text')
      .addColumn('password_hash', 'text', (col) => col.notNull())
      .addColumn('roles', 'text', (col) => col.notNull())
      .addColumn('status', 'text', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('password_changed_at', 'bigint', (col) => col.notNull())
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id'))
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('expires_at', 'bigint', (col) => col.notNull())
      .addColumn('last_seen_at', 'bigint', (col) => col.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('revoked_reason', 'text')
      .addColumn('amr', 'text', (col) => col.notNull())
      .addColumn('auth_time', 'bigint', (col) => col.notNull())
      .addColumn('ip_ciphertext', 'text')
      .addColumn('user_agent_ciphertext', 'text')
      .execute();
    await db.schema.createIndex('sessions_user_idx').on('sessions').columns(['user_id', 'revoked_at']).execute();

    await db.schema
      .createTable('refresh_tokens')
      .addColumn('token_hash', 'text', (col) => col.primaryKey())
      .addColumn('session_id', 'text', (col) => col.notNull().references('sessions.id'))
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('expires_at', 'bigint', (col) => col.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema.createIndex('refresh_tokens_session_idx').on('refresh_tokens').column('session_id').execute();

    await db.schema
      .createTable('jwt_signing_keys')
      .addColumn('kid', 'text', (col) => col.primaryKey())
      .addColumn('alg', 'text', (col) => col.notNull())
      .addColumn('public_jwk', 'text', (col) => col.notNull())
      .addColumn('private_ciphertext', 'text', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('sign_until', 'bigint', (col) => col.notNull())
      .addColumn('verify_until', 'bigint', (col) => col.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ['jwt_signing_keys', 'refresh_tokens', 'sessions', 'users']) {
      await db.schema.dropTable(table).execute();
    }
  },
};
