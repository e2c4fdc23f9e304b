/**
 * The audit log's three secrets, all derived from the platform key ring (src/modules/crypto):
 * HKDF subkeys of version 1 of key-ring key `audit`, one per purpose. The DEK behind them is
 * stored wrapped by the KEK (master key file or HSM), never in clear, so:
 *
 * - someone who can write the database still cannot compute entry MACs or sign tree heads;
 * - every replica sharing the database and the KEK derives the same keys, with no files to copy;
 * - version 1 is pinned: rotating key `audit` leaves existing pseudonyms, MACs and the signing
 *   key unchanged. Retiring or destroying version 1 would stop the log (docs/audit.md).
 *
 * The Ed25519 tree-head key is the RFC 8032 private key whose 32-byte seed is the subkey; node
 * builds the key pair from the RFC 8410 PKCS#8 encoding of that seed.
 */
import { createPrivateKey, createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

import type { KeyManager } from '../../crypto/index.js';

export interface AuditKeys {
  /** Keyed-hash key for personal data. */
  pseudonymKey: KeyObject;
  /** Per-entry MAC key. */
  macKey: KeyObject;
  /** Ed25519 private key for tree heads. */
  signingKey: KeyObject;
}

export const AUDIT_KEY_ID = 'audit';
export const AUDIT_KEY_VERSION = 1;

/** RFC 8410 §7: PrivateKeyInfo { v1, id-Ed25519, OCTET STRING { OCTET STRING seed } } minus the seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export async function auditKeysFromKeyManager(keyManager: Pick<KeyManager, 'deriveKey'>): Promise<AuditKeys> {
  // Without a version the key manager creates the key on first use (once, across replicas).
  await keyManager.deriveKey(AUDIT_KEY_ID, 'audit/bootstrap');
  const derive = async (purpose: string) => (await keyManager.deriveKey(AUDIT_KEY_ID, purpose, AUDIT_KEY_VERSION)).key;
  const seed = (await derive('audit/tree-head-ed25519/v1')).export();
  const signingKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  seed.fill(0);
  return {
    pseudonymKey: await derive('audit/pseudonym/v1'),
    macKey: await derive('audit/entry-mac/v1'),
    signingKey,
  };
}

/** Fresh in-memory keys for a standalone logger (benchmarks, tools); gone when the process ends. */
export function generateAuditKeys(): AuditKeys {
  return {
    pseudonymKey: createSecretKey(randomBytes(32)),
    macKey: createSecretKey(randomBytes(32)),
    signingKey: generateKeyPairSync('ed25519').privateKey,
  };
}
