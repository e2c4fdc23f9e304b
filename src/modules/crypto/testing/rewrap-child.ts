/**
 * Test support: the child process of the rewrap crash test. Rewraps `test_users` in a SQLite
 * file under a local master key and reports progress on stdout until its parent kills it.
 * Not imported by production code.
 */
import { createDatabase } from '../../../lib/db/index.js';
import { createSymmetricEncryption } from '../envelope/symmetric-encryption.js';
import { createBlindIndex } from '../fields/blind-index.js';
import { createFieldCipher } from '../fields/field-cipher.js';
import { createLocalKekProviderConsuming } from '../kek/local.js';
import { readMasterKeyFile } from '../kek/master-key.js';
import { createKeyManager } from '../keys/key-manager.js';
import { createKyselyKeyRingStore } from '../keys/kysely-store.js';
import { createKyselyRewrapTarget } from '../rewrap/kysely-target.js';
import { rewrapFields } from '../rewrap/rewrap-fields.js';
import { testUsers } from './users-fixture.js';

export async function main(databaseUrl: string, masterKeyFile: string): Promise<void> {
  const db = await createDatabase(databaseUrl);
  const keyManager = createKeyManager({
    store: createKyselyKeyRingStore(db.kysely),
    kek: createLocalKekProviderConsuming(await readMasterKeyFile(masterKeyFile)),
  });
  const symmetric = createSymmetricEncryption({ keyManager });
  const fields = createFieldCipher({ symmetric, keyManager, blindIndex: createBlindIndex({ keyManager }) });
  process.stdout.write('started\n');
  await rewrapFields({
    targets: [createKyselyRewrapTarget(db.kysely, testUsers)],
    fieldCipher: fields,
    batchSize: 100,
    onProgress: (p) => process.stdout.write(`progress ${p.scanned}\n`),
  });
  process.stdout.write('done\n');
  await db.close();
}
