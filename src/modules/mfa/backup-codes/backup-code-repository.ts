/**
 * `mfa_backup_codes` rows. Replacing a set is one transaction (delete + insert), so a user never
 * holds a mix of old and new codes. Spending a code is one conditional statement,
 *   UPDATE … SET used_at = ? WHERE id = ? AND used_at IS NULL,
 * so of two concurrent uses of one code exactly one updates a row (PostgreSQL re-checks the
 * WHERE clause after the row lock under READ COMMITTED; SQLite has a single writer).
 */
import { randomUUID } from 'node:crypto';

import type { Database } from '../../../lib/db/index.js';
import { toDbTime } from '../../../lib/db/index.js';

export interface BackupCodeRow {
  id: string;
  codeHash: string;
  used: boolean;
}

export interface BackupCodeRepository {
  replaceAll(userId: string, codes: readonly { tag: string; codeHash: string }[], now: number): Promise<void>;
  findByTag(userId: string, tag: string): Promise<BackupCodeRow | null>;
  /** True for exactly one caller per code. */
  markUsed(id: string, now: number): Promise<boolean>;
  countUnused(userId: string): Promise<number>;
  removeAll(userId: string): Promise<void>;
}

export function createBackupCodeRepository(db: Database): BackupCodeRepository {
  const { kysely } = db;
  return {
    async replaceAll(userId, codes, now) {
      await kysely.transaction().execute(async (trx) => {
        await trx.deleteFrom('mfa_backup_codes').where('user_id', '=', userId).execute();
        await trx.insertInto('mfa_backup_codes').values(codes.map((c) => ({
          id: randomUUID(), user_id: userId, tag: c.tag, code_hash: c.codeHash, created_at: toDbTime(now), used_at: null,
        }))).execute();
      });
    },
    async findByTag(userId, tag) {
      const row = await kysely.selectFrom('mfa_backup_codes').select(['id', 'code_hash', 'used_at'])
        .where('user_id', '=', userId).where('tag', '=', tag).executeTakeFirst();
      return row === undefined ? null : { id: row.id, codeHash: row.code_hash, used: row.used_at !== null };
    },
    async markUsed(id, now) {
      const result = await kysely.updateTable('mfa_backup_codes').set({ used_at: toDbTime(now) })
        .where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    async countUnused(userId) {
      const row = await kysely.selectFrom('mfa_backup_codes').select((eb) => eb.fn.countAll<bigint>().as('n'))
        .where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async removeAll(userId) {
      await kysely.deleteFrom('mfa_backup_codes').where('user_id', '=', userId).execute();
    },
  };
}
