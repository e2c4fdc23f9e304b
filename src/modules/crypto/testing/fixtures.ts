/** Test support: key managers over an in-memory store and a random local master key. Not imported by production code. */
import { randomBytes } from 'node:crypto';

import { createManualClock } from '../../../lib/clock/index.js';
import { createLocalKekProvider } from '../kek/local.js';
import type { KekProvider } from '../kek/types.js';
import { createKeyManager, type KeyManagerOptions } from '../keys/key-manager.js';
import { createMemoryKeyRingStore } from '../keys/memory-store.js';
import { createSymmetricEncryption } from '../envelope/symmetric-encryption.js';

export function localKek(): KekProvider {
  return createLocalKekProvider(randomBytes(32));
}

export function testKeyRing(overrides: Partial<Omit<KeyManagerOptions, 'clock'>> = {}) {
  const clock = createManualClock();
  const store = overrides.store ?? createMemoryKeyRingStore();
  const kek = overrides.kek ?? localKek();
  const keyManager = createKeyManager({ store, kek, clock, ...overrides });
  const symmetric = createSymmetricEncryption({ keyManager, defaultKeyId: 'pii' });
  return { clock, store, kek, keyManager, symmetric };
}
