import { randomBytes } from 'node:crypto';

import { afterAll, describe, expect, it } from 'vitest';

import { createManualClock } from '../../../lib/clock/index.js';
import { createDatabase } from '../../../lib/db/index.js';
import { createThrowawaySqlite } from '../../../../test/support/backends.js';
import { createSymmetricEncryption } from '../envelope/symmetric-encryption.js';
import { createBlindIndex } from '../fields/blind-index.js';
import { createFieldCipher } from '../fields/field-cipher.js';
import { createLocalKekProvider } from '../kek/local.js';
import { createKeyManager } from '../keys/key-manager.js';
import { createKyselyKeyRingStore } from '../keys/kysely-store.js';
import { countFieldsWithPrefix, createTestUsersTable, seedTestUsers, testUsers } from '../testing/users-fixture.js';
import { createKyselyRewrapTarget } from './kysely-target.js';
import { rewrapFields, type RewrapTarget } from './rewrap-fields.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function setup(rows: number) {
  const target = await createThrowawaySqlite();
  const db = await createDatabase(target.url);
  cleanups.push(async () => {
    await db.close();
    await target.drop();
  });
  await db.migrate();
  await createTestUsersTable(db.kysely);
  const clock = createManualClock();
  const keyManager = createKeyManager({ store: createKyselyKeyRingStore(db.kysely), kek: createLocalKekProvider(randomBytes(32)), clock });
  const symmetric = createSymmetricEncryption({ keyManager });
  const blindIndex = createBlindIndex({ keyManager });
  const fields = createFieldCipher({ symmetric, keyManager, blindIndex });
  await seedTestUsers(db.kysely, fields, rows);
  const users = createKyselyRewrapTarget(db.kysely, testUsers);
  return { db, clock, keyManager, fields, blindIndex, users };
}

describe('rewrapFields over a SQLite table', () => {
  it('after rotate + rewrap every field reads back and none remains under the old version', async () => {
    const { db, keyManager, fields, users } = await setup(1200);
    await keyManager.rotate('pii');
    await keyManager.rotate('blind-index');
    const progress: number[] = [];
    const report = await rewrapFields({ targets: [users], fieldCipher: fields, batchSize: 250, onProgress: (p) => progress.push(p.scanned) });
    expect(report).toMatchObject({ scanned: 1200, rewritten: 1200, conflicts: 0, complete: true, keyIds: ['pii'] });
    expect(progress).toEqual([250, 500, 750, 1000, 1200]);
    expect(await countFieldsWithPrefix(db.kysely, 'q2:v1:pii:')).toBe(0);
    expect(await countFieldsWithPrefix(db.kysely, 'q2:v2:pii:')).toBe(2400);
    const rows = await users.scan(undefined, 2000);
    for (const row of rows) {
      const plain = (await fields.decryptRow(testUsers, row)) as unknown as { id: string; email: string };
      expect(plain.email).toBe(`user${Number(plain.id.slice(1))}@example.com`);
    }
    const hit = await db.kysely
      .selectFrom('test_users' as never)
      .select('id' as never)
      .where('email_bidx' as never, 'in', (await fields.lookup(testUsers, 'email', 'USER7@example.com')) as never)
      .execute();
    expect(hit).toEqual([{ id: 'u00000007' }]);
    expect((await rewrapFields({ targets: [users], fieldCipher: fields })).rewritten).toBe(0);
  });

  it('stops between batches when aborted, and a rerun completes the work', async () => {
    const { db, keyManager, fields, users } = await setup(600);
    await keyManager.rotate('pii');
    const controller = new AbortController();
    const first = await rewrapFields({
      targets: [users],
      fieldCipher: fields,
      batchSize: 100,
      signal: controller.signal,
      onProgress: (p) => p.scanned >= 200 && controller.abort(),
    });
    expect(first).toMatchObject({ complete: false, rewritten: 200 });
    expect(await countFieldsWithPrefix(db.kysely, 'q2:v1:pii:')).toBe(800);
    const second = await rewrapFields({ targets: [users], fieldCipher: fields, batchSize: 100 });
    expect(second).toMatchObject({ complete: true, rewritten: 400, scanned: 600 });
    expect(await countFieldsWithPrefix(db.kysely, 'q2:v1:pii:')).toBe(0);
  });

  it('reports rows whose fields do not decrypt and carries on', async () => {
    const { db, keyManager, fields, users } = await setup(20);
    await keyManager.rotate('pii');
    const [victim] = await users.scan('u00000004', 1);
    await db.kysely
      .updateTable('test_users' as never)
      .set({ phone: victim!.email } as never)
      .where('id' as never, '=', 'u00000005' as never)
      .execute();
    const report = await rewrapFields({ targets: [users], fieldCipher: fields });
    expect(report).toMatchObject({ complete: true, rewritten: 19, failed: 1, failedRowIds: ['u00000005'] });
  });

  it('never overwrites a row the application changed between read and write', async () => {
    const { db, keyManager, fields, users } = await setup(10);
    await keyManager.rotate('pii');
    const concurrentWrite = await fields.encryptRow(testUsers, { id: 'u00000003', email: 'changed@example.com', phone: 'p' } as never);
    const racing: RewrapTarget = {
      ...users,
      async scan(after, limit) {
        const rows = await users.scan(after, limit);
        await db.kysely
          .updateTable('test_users' as never)
          .set(concurrentWrite as never)
          .where('id' as never, '=', 'u00000003' as never)
          .execute();
        return rows;
      },
    };
    const report = await rewrapFields({ targets: [racing], fieldCipher: fields });
    expect(report).toMatchObject({ rewritten: 9, conflicts: 1 });
    const [row] = await users.scan('u00000002', 1);
    expect(((await fields.decryptRow(testUsers, row!)) as unknown as { email: string }).email).toBe('changed@example.com');
  });
});
