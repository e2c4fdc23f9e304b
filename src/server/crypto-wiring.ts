/**
 * The platform's key ring: KEK provider from config (development mode generates the master key),
 * a key manager over the database, and the FieldProtector that every capability uses for
 * secret and personal fields (src/lib/protect).
 */
import type { Config } from '../lib/config/index.js';
import type { Clock } from '../lib/clock/index.js';
import type { Database } from '../lib/db/index.js';
import type { Logger } from '../lib/log/index.js';
import type { FieldContext, FieldProtector } from '../lib/protect/index.js';
import {
  createBlindIndex, createKekProviders, createKeyManager, createKyselyKeyRingStore, createSymmetricEncryption,
  ensureDevelopmentMasterKey, type BlindIndex, type KekProvider, type KeyManager, type SymmetricEncryption,
} from '../modules/crypto/index.js';

export interface PlatformCrypto {
  keyManager: KeyManager;
  /** The KEK new DEKs are wrapped with. */
  kek: KekProvider;
  blindIndex: BlindIndex;
  symmetric: SymmetricEncryption;
  protector: FieldProtector;
  close(): Promise<void>;
}

/** Key ring id for fields that belong to no particular user (signing keys, API secrets, …). */
export const PLATFORM_FIELD_KEY = 'fields';

/**
 * The FieldProtector port over the crypto module: the caller's {table, column, rowId} become
 * the envelope's authenticated context, and `keyId` picks the key ring key (default: the
 * instance's). The one adapter, used by the server and by tests of capabilities that store secrets.
 */
export function createFieldProtector(symmetric: SymmetricEncryption, blindIndex: BlindIndex): FieldProtector {
  const options = (ctx: FieldContext) => ({ context: { table: ctx.table, column: ctx.column, row: ctx.rowId }, ...(ctx.keyId ? { keyId: ctx.keyId } : {}) });
  return {
    encrypt: (plaintext, ctx) => symmetric.encrypt(plaintext, options(ctx)),
    decrypt: (ciphertext, ctx) => symmetric.decryptString(ciphertext, options(ctx)),
    blindIndex: (value, purpose) => blindIndex.compute(purpose, value),
    blindIndexCandidates: (value, purpose) => blindIndex.candidates(purpose, value),
  };
}

export async function createPlatformCrypto(deps: { config: Config; db: Database; clock: Clock; logger: Logger }): Promise<PlatformCrypto> {
  const { config, db, clock, logger } = deps;
  if (config.developmentMode && (await ensureDevelopmentMasterKey(config.dataDir))) {
    logger.warn({ file: `${config.dataDir}/master.key` }, 'generated a DEVELOPMENT master key (mode 0600); set Q2_MASTER_KEY_FILE or use an HSM in production');
  }
  const keks = await createKekProviders(config.keys);
  const keyManager = createKeyManager({ store: createKyselyKeyRingStore(db.kysely), kek: keks.current, previousKeks: keks.previous, clock });
  const symmetric = createSymmetricEncryption({ keyManager, defaultKeyId: PLATFORM_FIELD_KEY });
  const blindIndex = createBlindIndex({ keyManager });
  const protector = createFieldProtector(symmetric, blindIndex);
  return {
    keyManager, symmetric, protector, blindIndex, kek: keks.current,
    async close() {
      await keyManager.close();
      await keks.close();
    },
  };
}
