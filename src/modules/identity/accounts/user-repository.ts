/**
 * Accounts. The email is stored only as a ciphertext (context users/email/<id>) plus a keyed
 * blind index for lookup by equality (SPEC §8); the clear email never reaches the database.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../../lib/clock/index.js';
import { fromDbTime, toDbTime, type Tables } from '../../../lib/db/index.js';
import type { FieldProtector } from '../../../lib/protect/index.js';
import { ROLES, type Role } from '../../../lib/auth/index.js';

export interface User {
  id: string;
  roles: Role[];
  status: 'active' | 'locked';
  passwordHash: string;
  createdAt: number;
  passwordChangedAt: number;
}

export interface UserRepository {
  /** Returns null when the email is taken (the caller must not reveal that). */
  create(input: { email: string; passwordHash: string; roles: Role[] }): Promise<User | null>;
  findByEmail(email: string): Promise<User | null>;
  findById(id: string): Promise<User | null>;
  email(user: Pick<User, 'id'>): Promise<string>;
  phone(userId: string): Promise<string | null>;
  setPhone(userId: string, phone: string): Promise<void>;
  updatePassword(id: string, passwordHash: string): Promise<void>;
  setStatus(id: string, status: User['status']): Promise<void>;
  setRoles(id: string, roles: Role[]): Promise<void>;
}

/** Blind-index scope `<table>.<column>`, as the crypto module's field cipher computes it (rewrap). */
const EMAIL_INDEX_PURPOSE = 'users.email_ciphertext';

export function normaliseEmail(email: string): string {
  return email.trim().normalize('NFKC').toLowerCase();
}

function parseRoles(json: string): Role[] {
  const value = JSON.parse(json) as unknown;
  if (!Array.isArray(value) || !value.every((r) => (ROLES as readonly unknown[]).includes(r))) {
    throw new TypeError('stored roles are corrupt');
  }
  return value as Role[];
}

export function createUserRepository(deps: { db: Kysely<Tables>; protector: FieldProtector; clock: Clock }): UserRepository {
  const { db, protector, clock } = deps;
  const toUser = (row: Tables['users']): User => ({
    id: row.id,
    roles: parseRoles(row.roles),
    status: row.status === 'locked' ? 'locked' : 'active',
    passwordHash: row.password_hash,
    createdAt: fromDbTime(row.created_at),
    passwordChangedAt: fromDbTime(row.password_changed_at),
  });
  const indexOf = (email: string) => protector.blindIndex(normaliseEmail(email), EMAIL_INDEX_PURPOSE);

  return {
    async create({ email, passwordHash, roles }) {
      const id = randomUUID();
      const now = toDbTime(clock.now());
      const emailIndex = await indexOf(email);
      const emailCiphertext = await protector.encrypt(normaliseEmail(email), { table: 'users', column: 'email_ciphertext', rowId: id, keyId: `user.${id}` });
      // Insert-if-absent on the unique blind index: atomic on both dialects, no check-then-act race.
      const result = await db.insertInto('users').values({
        id, email_ciphertext: emailCiphertext, email_index: emailIndex, phone_ciphertext: null, password_hash: passwordHash,
        roles: JSON.stringify(roles), status: 'active', created_at: now, password_changed_at: now,
      }).onConflict((oc) => oc.column('email_index').doNothing()).executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0n) !== 1) return null;
      return { id, roles, status: 'active', passwordHash, createdAt: Number(now), passwordChangedAt: Number(now) };
    },
    async findByEmail(email) {
      const candidates = await protector.blindIndexCandidates(normaliseEmail(email), EMAIL_INDEX_PURPOSE);
      const row = await db.selectFrom('users').selectAll().where('email_index', 'in', candidates).executeTakeFirst();
      return row ? toUser(row) : null;
    },
    async findById(id) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toUser(row) : null;
    },
    async email(user) {
      const row = await db.selectFrom('users').select('email_ciphertext').where('id', '=', user.id).executeTakeFirstOrThrow();
      return protector.decrypt(row.email_ciphertext, { table: 'users', column: 'email_ciphertext', rowId: user.id, keyId: `user.${user.id}` });
    },
    async phone(userId) {
      const row = await db.selectFrom('users').select('phone_ciphertext').where('id', '=', userId).executeTakeFirst();
      return row?.phone_ciphertext ? protector.decrypt(row.phone_ciphertext, { table: 'users', column: 'phone_ciphertext', rowId: userId, keyId: `user.${userId}` }) : null;
    },
    async setPhone(userId, phone) {
      const ciphertext = await protector.encrypt(phone, { table: 'users', column: 'phone_ciphertext', rowId: userId, keyId: `user.${userId}` });
      await db.updateTable('users').set({ phone_ciphertext: ciphertext }).where('id', '=', userId).execute();
    },
    async updatePassword(id, passwordHash) {
      await db.updateTable('users').set({ password_hash: passwordHash, password_changed_at: toDbTime(clock.now()) }).where('id', '=', id).execute();
    },
    async setStatus(id, status) {
      await db.updateTable('users').set({ status }).where('id', '=', id).execute();
    },
    async setRoles(id, roles) {
      await db.updateTable('users').set({ roles: JSON.stringify(roles) }).where('id', '=', id).execute();
    },
  };
}
