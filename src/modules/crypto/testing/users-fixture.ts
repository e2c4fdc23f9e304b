/**
 * Test and benchmark support: a `test_users` table with encrypted columns in a throwaway
 * database, seeded through the field cipher. Not imported by production code.
 */
import type { Kysely } from 'kysely';

import { normalizeEmail } from '../fields/blind-index.js';
import { defineEncryptedColumns, type EncryptedTable } from '../fields/encrypted-columns.js';
import type { FieldCipher } from '../fields/field-cipher.js';

export interface TestUser {
  id: string;
  email: string;
  phone: string;
}

export const testUsers = defineEncryptedColumns<TestUser>({
  table: 'test_users',
  rowId: 'id',
  columns: {
    email: { keyId: 'pii', blindIndex: { column: 'email_bidx', normalize: normalizeEmail } },
    phone: { keyId: 'pii' },
  },
}) as EncryptedTable<never>;

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

export async function createTestUsersTable<DB>(db: Kysely<DB>): Promise<void> {
  await (db as unknown as AnyDb).schema
    .createTable('test_users')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text')
    .addColumn('email_bidx', 'text')
    .addColumn('phone', 'text')
    .execute();
}

export const userId = (i: number) => `u${String(i).padStart(8, '0')}`;

/** Inserts `count` users in batches of one transaction each. */
export async function seedTestUsers<DB>(db: Kysely<DB>, fields: FieldCipher, count: number, start = 0): Promise<void> {
  const k = db as unknown as AnyDb;
  for (let offset = start; offset < start + count; offset += 500) {
    const rows: Record<string, unknown>[] = [];
    for (let i = offset; i < Math.min(offset + 500, start + count); i += 1) {
      rows.push(await fields.encryptRow(testUsers, { id: userId(i), email: `user${i}@example.com`, phone: `+1 555 ${i}` } as never));
    }
    await k.transaction().execute((trx) => trx.insertInto('test_users').values(rows).execute());
  }
}

/** How many stored fields are under `prefix` (e.g. `q2:v1:pii:`), counted in JS. */
export async function countFieldsWithPrefix<DB>(db: Kysely<DB>, prefix: string): Promise<number> {
  const rows = await (db as unknown as AnyDb).selectFrom('test_users').select(['email', 'phone']).execute();
  let n = 0;
  for (const row of rows) for (const v of [row.email, row.phone]) if (typeof v === 'string' && v.startsWith(prefix)) n += 1;
  return n;
}
