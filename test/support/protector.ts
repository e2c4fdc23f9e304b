/**
 * Test support: the real key-ring FieldProtector (src/modules/crypto) over a test database,
 * through the same adapter the server uses (src/server/crypto-wiring.ts) — AES-256-GCM envelopes
 * with table/column/row as associated data, HMAC blind indexes — under a random local master
 * key. Tests of capabilities that store secrets use it instead of a fake, so they also prove
 * that their ciphertexts round-trip through the production cipher on each dialect.
 */
import { randomBytes } from 'node:crypto';

import type { Database } from '../../src/lib/db/index.js';
import type { FieldProtector } from '../../src/lib/protect/index.js';
import { createFieldProtector } from '../../src/server/crypto-wiring.js';
import {
  createBlindIndex, createKeyManager, createKyselyKeyRingStore, createLocalKekProvider, createSymmetricEncryption,
} from '../../src/modules/crypto/index.js';

export interface TestProtector extends FieldProtector {
  close(): Promise<void>;
}

export function createTestProtector(db: Database): TestProtector {
  const kek = createLocalKekProvider(randomBytes(32));
  const keyManager = createKeyManager({ store: createKyselyKeyRingStore(db.kysely), kek });
  const symmetric = createSymmetricEncryption({ keyManager, defaultKeyId: 'fields' });
  const blindIndex = createBlindIndex({ keyManager });
  return {
    ...createFieldProtector(symmetric, blindIndex),
    async close() {
      await keyManager.close();
      await kek.close?.();
    },
  };
}
