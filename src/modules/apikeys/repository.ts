/**
 * `api_keys` storage (migration 0009_api_keys). Every write is one statement; revocation is a
 * conditional UPDATE (`… WHERE revoked_at IS NULL`), so of two concurrent revocations exactly
 * one reports that it revoked, and the HMAC secret's ciphertext is wiped in the same statement.
 */
import type { Kysely, Selectable } from 'kysely';
import { fromDbTime, toDbTime, type Tables } from '../../lib/db/index.js';
import type { ApiKeysTable } from '../../lib/db/schema.js';
import type { ApiKey, ApiKeyAlgorithm, ApiKeyScope } from './types.js';

export type ApiKeyRow = Selectable<ApiKeysTable>;

export interface StoredKey extends ApiKey {
  publicKey: string | null;
  secretCiphertext: string | null;
}

export interface ApiKeyRepository {
  insert(key: StoredKey): Promise<void>;
  /** Keys that are neither revoked nor expired at `now`. */
  countUsable(userId: string, now: number): Promise<number>;
  /** Unrevoked keys of a user (expired ones included, so the owner sees them), oldest first. */
  listUnrevoked(userId: string): Promise<StoredKey[]>;
  /** An unrevoked key whose owner's account is active; null otherwise. */
  findUsable(keyId: string): Promise<StoredKey | null>;
  ownerOf(keyId: string): Promise<string | null>;
  /** True when this call revoked the key; false when it was already revoked or is not the user's. */
  revoke(keyId: string, userId: string, now: number, reason: string): Promise<boolean>;
  /** Unrevoked key ids of a user. */
  unrevokedIds(userId: string): Promise<string[]>;
}

function fromRow(row: ApiKeyRow): StoredKey {
  return {
    keyId: row.key_id,
    userId: row.user_id,
    label: row.label,
    algorithm: row.algorithm as ApiKeyAlgorithm,
    scopes: JSON.parse(row.scopes) as ApiKeyScope[],
    ipAllowlist: JSON.parse(row.ip_allowlist) as string[],
    createdAt: fromDbTime(row.created_at),
    expiresAt: row.expires_at === null ? null : fromDbTime(row.expires_at),
    publicKey: row.public_key,
    secretCiphertext: row.secret_ciphertext,
  };
}

export function createApiKeyRepository(db: Kysely<Tables>): ApiKeyRepository {
  return {
    async insert(key) {
      await db.insertInto('api_keys').values({
        key_id: key.keyId, user_id: key.userId, label: key.label, algorithm: key.algorithm,
        public_key: key.publicKey, secret_ciphertext: key.secretCiphertext,
        scopes: JSON.stringify(key.scopes), ip_allowlist: JSON.stringify(key.ipAllowlist),
        created_at: toDbTime(key.createdAt), expires_at: key.expiresAt === null ? null : toDbTime(key.expiresAt),
        revoked_at: null, revoked_reason: null,
      }).execute();
    },
    async countUsable(userId, now) {
      const row = await db.selectFrom('api_keys').select((eb) => eb.fn.countAll<bigint>().as('n'))
        .where('user_id', '=', userId).where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', toDbTime(now))]))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async listUnrevoked(userId) {
      const rows = await db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).where('revoked_at', 'is', null)
        .orderBy('created_at').orderBy('key_id').execute();
      return rows.map(fromRow);
    },
    async findUsable(keyId) {
      const row = await db.selectFrom('api_keys').innerJoin('users', 'users.id', 'api_keys.user_id')
        .selectAll('api_keys').where('api_keys.key_id', '=', keyId).where('api_keys.revoked_at', 'is', null)
        .where('users.status', '=', 'active').executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    async ownerOf(keyId) {
      const row = await db.selectFrom('api_keys').select('user_id').where('key_id', '=', keyId).executeTakeFirst();
      return row?.user_id ?? null;
    },
    async revoke(keyId, userId, now, reason) {
      const result = await db.updateTable('api_keys')
        .set({ revoked_at: toDbTime(now), revoked_reason: reason, secret_ciphertext: null })
        .where('key_id', '=', keyId).where('user_id', '=', userId).where('revoked_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async unrevokedIds(userId) {
      const rows = await db.selectFrom('api_keys').select('key_id').where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
      return rows.map((r) => r.key_id);
    },
  };
}
