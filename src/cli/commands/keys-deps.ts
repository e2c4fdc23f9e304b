/**
 * Dependencies of `q2 keys`: the database and the key ring only (no server, no capabilities),
 * plus the encrypted-table declarations that `rewrap` walks.
 */
import { createDatabase } from '../../lib/db/index.js';
import { createFieldCipher, createKyselyRewrapTarget } from '../../modules/crypto/index.js';
import { createPlatformCrypto } from '../../server/crypto-wiring.js';
import { ENCRYPTED_TABLES } from '../../server/encrypted-tables.js';
import { systemClock } from '../../lib/clock/index.js';
import type { CliIo } from '../types.js';
import { loadCliContext } from '../context.js';
import type { KeysCommandDeps } from './keys.js';

export function keysDepsLoader(io: CliIo): () => Promise<KeysCommandDeps> {
  return async () => {
    const ctx = loadCliContext(io, 'warn');
    if (!ctx) throw new Error('configuration error');
    const db = await createDatabase(ctx.config.storage.databaseUrl, { logger: ctx.logger });
    try {
      await db.migrate();
      const crypto = await createPlatformCrypto({ config: ctx.config, db, clock: systemClock, logger: ctx.logger });
      return {
        keyManager: crypto.keyManager,
        kek: crypto.kek,
        fieldCipher: createFieldCipher({ symmetric: crypto.symmetric, keyManager: crypto.keyManager, blindIndex: crypto.blindIndex }),
        rewrapTargets: ENCRYPTED_TABLES.map((table) => createKyselyRewrapTarget(db.kysely, table as never)),
        async close() {
          await crypto.close();
          await db.close();
        },
      };
    } catch (error) {
      await db.close();
      throw error;
    }
  };
}
