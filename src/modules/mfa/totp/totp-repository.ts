/**
 * `mfa_totp` rows. Each write is one conditional statement:
 *   begin:   INSERT … ON CONFLICT (user_id) DO UPDATE … WHERE confirmed_at IS NULL
 *            (a pending enrollment is replaced; a confirmed one is never overwritten)
 *   confirm: UPDATE … WHERE user_id = ? AND confirmed_at IS NULL AND secret_ciphertext = ?
 *            (the ciphertext is unique per encryption, so a confirmation cannot activate a
 *            secret that a concurrent restart replaced)
 */
import type { Database } from '../../../lib/db/index.js';
import { fromDbTime, toDbTime } from '../../../lib/db/index.js';

export interface TotpRow {
  secretCiphertext: string;
  createdAt: number;
  confirmedAt: number | null;
}

export interface TotpRepository {
  /** False when a confirmed secret exists (nothing written). */
  savePending(userId: string, secretCiphertext: string, now: number): Promise<boolean>;
  get(userId: string): Promise<TotpRow | null>;
  confirm(userId: string, secretCiphertext: string, now: number): Promise<boolean>;
  remove(userId: string): Promise<boolean>;
}

export function createTotpRepository(db: Database): TotpRepository {
  const { kysely } = db;
  return {
    async savePending(userId, secretCiphertext, now) {
      const at = toDbTime(now);
      const row = await kysely
        .insertInto('mfa_totp')
        .values({ user_id: userId, secret_ciphertext: secretCiphertext, created_at: at, confirmed_at: null })
        .onConflict((oc) => oc.column('user_id')
          .doUpdateSet({ secret_ciphertext: secretCiphertext, created_at: at })
          .where('mfa_totp.confirmed_at', 'is', null))
        .returning('user_id')
        .executeTakeFirst();
      return row !== undefined;
    },
    async get(userId) {
      const row = await kysely.selectFrom('mfa_totp').selectAll().where('user_id', '=', userId).executeTakeFirst();
      if (row === undefined) return null;
      return {
        secretCiphertext: row.secret_ciphertext,
        createdAt: fromDbTime(row.created_at),
        confirmedAt: row.confirmed_at === null ? null : fromDbTime(row.confirmed_at),
      };
    },
    async confirm(userId, secretCiphertext, now) {
      const result = await kysely
        .updateTable('mfa_totp')
        .set({ confirmed_at: toDbTime(now) })
        .where('user_id', '=', userId)
        .where('confirmed_at', 'is', null)
        .where('secret_ciphertext', '=', secretCiphertext)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    async remove(userId) {
      const result = await kysely.deleteFrom('mfa_totp').where('user_id', '=', userId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
