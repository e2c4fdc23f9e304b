/**
 * 0004_mfa: second factors of src/modules/mfa (docs/mfa.md).
 *
 * - `mfa_totp`: one TOTP secret per user, encrypted by the FieldProtector (AAD = table, column,
 *   user id); `confirmed_at` NULL while enrollment is pending.
 * - `mfa_backup_codes`: Argon2id hashes of one-time recovery codes; `tag` is the code's public
 *   lookup prefix, so a verification costs one Argon2 run, not ten; `used_at` is set once by a
 *   conditional UPDATE (exactly one concurrent use wins).
 * - `mfa_webauthn_credentials`: passkeys (public keys are not secret; stored as base64url COSE),
 *   with the signature counter updated by compare-and-swap.
 *
 * `user_id` has no foreign key: the module is usable without the identity tables, and erasure
 * goes through `MfaService.forgetUser`. Times are bigint Unix ms.
 */
import type { Kysely, Migration } from 'kysely';

export const mfa: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('mfa_totp')
      .addColumn('user_id', 'text', (col) => col.primaryKey())
      .addColumn('secret_ciphertext', 'text', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('confirmed_at', 'bigint')
      .execute();

    await db.schema
      .createTable('mfa_backup_codes')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('tag', 'text', (col) => col.notNull())
      .addColumn('code_hash', 'text', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('used_at', 'bigint')
      .addUniqueConstraint('mfa_backup_codes_user_tag', ['user_id', 'tag'])
      .execute();

    await db.schema
      .createTable('mfa_webauthn_credentials')
      .addColumn('credential_id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('user_handle', 'text', (col) => col.notNull())
      .addColumn('public_key', 'text', (col) => col.notNull())
      .addColumn('counter', 'bigint', (col) => col.notNull())
      .addColumn('transports', 'text', (col) => col.notNull())
      .addColumn('device_type', 'text', (col) => col.notNull())
      .addColumn('backed_up', 'bigint', (col) => col.notNull())
      .addColumn('aaguid', 'text', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('mfa_webauthn_credentials_user_idx').on('mfa_webauthn_credentials').column('user_id').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ['mfa_webauthn_credentials', 'mfa_backup_codes', 'mfa_totp']) {
      await db.schema.dropTable(table).execute();
    }
  },
};
