/**
 * Builds the KEK providers from the boot configuration (SPEC §1: Q2_KEK_PROVIDER,
 * Q2_MASTER_KEY_FILE / Q2_MASTER_PASSPHRASE, Q2_PKCS11_*).
 *
 * `current` wraps every new DEK. `previous` can still unwrap: with Q2_KEK_PROVIDER=pkcs11 and
 * local master key material still configured (or `<dataDir>/master.key` still present), the
 * local provider stays available so `q2 keys rewrap --deks` can move DEKs into the HSM — the
 * local → pkcs11 switch (docs/crypto.md).
 */
import { access } from 'node:fs/promises';

import type { KeysConfig } from '../../../lib/config/types.js';
import { cryptoError } from '../errors.js';
import { createLocalKekProviderConsuming } from './local.js';
import { deriveMasterKeyFromPassphrase, developmentMasterKeyPath, readMasterKeyFile } from './master-key.js';
import { createPkcs11KekProvider } from './pkcs11.js';
import type { KekProvider } from './types.js';

export interface KekProviders {
  readonly current: KekProvider;
  readonly previous: readonly KekProvider[];
  close(): Promise<void>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The local provider from the configured master key material, or undefined if none is present. */
async function localProvider(config: KeysConfig): Promise<KekProvider | undefined> {
  if (config.masterKeyFile !== undefined) return createLocalKekProviderConsuming(await readMasterKeyFile(config.masterKeyFile));
  if (config.masterPassphrase !== undefined) {
    return createLocalKekProviderConsuming(await deriveMasterKeyFromPassphrase(config.masterPassphrase, config.dataDir));
  }
  const devKey = developmentMasterKeyPath(config.dataDir);
  return (await exists(devKey)) ? createLocalKekProviderConsuming(await readMasterKeyFile(devKey)) : undefined;
}

export async function createKekProviders(config: KeysConfig): Promise<KekProviders> {
  const local = await localProvider(config);
  if (config.provider === 'local') {
    if (!local) {
      throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'no master key: set Q2_MASTER_KEY_FILE or Q2_MASTER_PASSPHRASE');
    }
    return { current: local, previous: [], close: () => local.close() };
  }
  if (!config.pkcs11) throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'Q2_KEK_PROVIDER=pkcs11 needs Q2_PKCS11_LIB, _TOKEN_LABEL and _PIN');
  let hsm: KekProvider;
  try {
    hsm = await createPkcs11KekProvider(config.pkcs11);
  } catch (error) {
    await local?.close();
    throw error;
  }
  const previous = local ? [local] : [];
  return {
    current: hsm,
    previous,
    async close() {
      await Promise.all([hsm.close(), ...previous.map((p) => p.close())]);
    },
  };
}

/** The provider new DEKs are wrapped with; see `createKekProviders` for the switch case. */
export async function createKekProvider(config: KeysConfig): Promise<KekProvider> {
  const providers = await createKekProviders(config);
  for (const previous of providers.previous) await previous.close();
  return providers.current;
}
