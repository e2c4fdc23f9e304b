/**
 * Key-manager contract, run unchanged with the `local` KEK provider and the `pkcs11` provider
 * against a real SoftHSM2 token, over a real SQLite file database. With CI=true the PKCS#11
 * case fails (never skips) when Q2_TEST_PKCS11_LIB is unset.
 */
import { randomBytes } from 'node:crypto';

import { afterAll, describe, expect, it } from 'vitest';

import { createManualClock } from '../../../lib/clock/index.js';
import { createDatabase, type Database } from '../../../lib/db/index.js';
import { createThrowawaySqlite } from '../../../../test/support/backends.js';
import { createSymmetricEncryption } from '../envelope/symmetric-encryption.js';
import { createLocalKekProvider } from '../kek/local.js';
import { createPkcs11KekProvider } from '../kek/pkcs11.js';
import type { KekProvider } from '../kek/types.js';
import { createSoftHsmToken, type SoftHsmToken } from '../testing/softhsm.js';
import { createKeyManager, type KeyManagerOptions } from './key-manager.js';
import { createKyselyKeyRingStore } from './kysely-store.js';
import type { KeyRingStore } from './types.js';

interface ProviderFactory {
  /** A KEK provider for a fresh test; `next` is a different KEK for the KEK-rewrap contract. */
  create(): Promise<{ kek: KekProvider; next(): Promise<{ kek: KekProvider; previous: KekProvider[] }> }>;
}

const closers: (() => Promise<void>)[] = [];
/** Created on first use, before the PKCS#11 library loads; in CI without a library path every PKCS#11 case fails. */
let token: Promise<SoftHsmToken> | undefined;
const softHsm = () => (token ??= createSoftHsmToken());

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await (await token?.catch(() => undefined))?.cleanup();
});

const providers: [string, ProviderFactory][] = [
  [
    'local',
    {
      async create() {
        const kek = createLocalKekProvider(randomBytes(32));
        return {
          kek,
          // Local KEK "rotation" is a switch to a new master key, keeping the old one to unwrap.
          next: async () => ({ kek: createLocalKekProvider(randomBytes(32)), previous: [kek] }),
        };
      },
    },
  ],
  [
    'pkcs11 (SoftHSM2)',
    {
      async create() {
        const hsm = await softHsm();
        const kek = await createPkcs11KekProvider({ lib: hsm.lib, tokenLabel: hsm.tokenLabel, pin: hsm.pin, labelPrefix: hsm.uniquePrefix() });
        closers.push(() => kek.close());
        return {
          kek,
          async next() {
            await kek.rotate?.();
            return { kek, previous: [] };
          },
        };
      },
    },
  ],
];

async function sqliteStore(): Promise<{ store: KeyRingStore; db: Database }> {
  const target = await createThrowawaySqlite();
  const db = await createDatabase(target.url);
  await db.migrate();
  closers.push(async () => {
    await db.close();
    await target.drop();
  });
  return { store: createKyselyKeyRingStore(db.kysely), db };
}

const ctx = { table: 'users', column: 'email', row: 'u1' };

describe.each(providers)('key manager contract with the %s KEK provider', (_name, factory) => {
  async function setup(options: Partial<KeyManagerOptions> = {}) {
    const { store, db } = await sqliteStore();
    const { kek, next } = await factory.create();
    const clock = createManualClock();
    const make = (o: Partial<KeyManagerOptions> = {}) => createKeyManager({ store, kek, clock, ...options, ...o });
    const keyManager = make();
    const symmetric = createSymmetricEncryption({ keyManager, defaultKeyId: 'pii' });
    return { store, db, kek, next, clock, make, keyManager, symmetric };
  }

  it('creates a key on first use and decrypts after a restart (fresh cache, same store and KEK)', async () => {
    const { symmetric, make } = await setup();
    const text = await symmetric.encrypt('alice@example.com', { context: ctx });
    const restarted = createSymmetricEncryption({ keyManager: make(), defaultKeyId: 'pii' });
    expect(await restarted.decryptString(text, { context: ctx })).toBe('alice@example.com');
  });

  it('rotate makes a new primary without touching data; rewrap moves it; retire then locks the old version out', async () => {
    const { symmetric, keyManager, clock } = await setup();
    const values = ['a', 'b', 'c'];
    const texts = await Promise.all(values.map((v, i) => symmetric.encrypt(v, { context: { ...ctx, row: String(i) } })));
    expect(await keyManager.rotate('pii')).toBe(2);
    for (const [i, t] of texts.entries()) expect(await symmetric.decryptString(t, { context: { ...ctx, row: String(i) } })).toBe(values[i]);
    const moved = await Promise.all(texts.map((t, i) => symmetric.rewrap(t, { context: { ...ctx, row: String(i) } })));
    expect(moved.every((t) => t.startsWith('q2:v2:pii:'))).toBe(true);
    clock.advance(120_000);
    await keyManager.retire('pii', 2);
    await expect(symmetric.decrypt(texts[0]!, { context: { ...ctx, row: '0' } })).rejects.toMatchObject({ code: 'CRYPTO_KEY_RETIRED' });
    for (const [i, t] of moved.entries()) expect(await symmetric.decryptString(t, { context: { ...ctx, row: String(i) } })).toBe(values[i]);
    const status = await keyManager.status();
    expect(status[0]!.versions.map((v) => v.state)).toEqual(['retired', 'active']);
  });

  it('two replicas rotating at once produce exactly one new version', async () => {
    const { make, symmetric } = await setup();
    await symmetric.encrypt('x', { context: ctx });
    const [a, b] = [make(), make()];
    const versions = await Promise.all([a.rotate('pii'), b.rotate('pii')]);
    expect(versions).toEqual([2, 2]);
    expect((await a.status())[0]!.versions).toHaveLength(2);
  });

  it('counts usage in the store across replicas', async () => {
    const { make } = await setup({ reservationSize: 100 });
    for (const replica of [make(), make(), make()]) {
      await createSymmetricEncryption({ keyManager: replica, defaultKeyId: 'pii' }).encrypt('x', { context: ctx });
    }
    expect((await make().status())[0]!.versions[0]!.usageCount).toBe(300);
  });

  it('fails with CRYPTO_DECRYPT_FAILED when a wrapped DEK in the store is tampered with', async () => {
    const { symmetric, db, make } = await setup();
    const text = await symmetric.encrypt('x', { context: ctx });
    const row = await db.kysely.selectFrom('crypto_key_versions').select('wrapped_dek').executeTakeFirstOrThrow();
    const blob = Buffer.from(row.wrapped_dek, 'base64url');
    blob[10] = (blob[10] as number) ^ 1;
    await db.kysely.updateTable('crypto_key_versions').set({ wrapped_dek: blob.toString('base64url') }).execute();
    const restarted = createSymmetricEncryption({ keyManager: make(), defaultKeyId: 'pii' });
    await expect(restarted.decrypt(text, { context: ctx })).rejects.toMatchObject({ code: 'CRYPTO_DECRYPT_FAILED' });
  });

  it('a wrapped DEK copied onto another key-ring row cannot decrypt that row\'s data', async () => {
    const { symmetric, db, make } = await setup();
    const secret = await symmetric.encrypt('x', { context: ctx, keyId: 'secrets' });
    await symmetric.encrypt('y', { context: ctx, keyId: 'pii' });
    const pii = await db.kysely.selectFrom('crypto_key_versions').selectAll().where('key_id', '=', 'pii').executeTakeFirstOrThrow();
    await db.kysely.updateTable('crypto_key_versions').set({ wrapped_dek: pii.wrapped_dek }).where('key_id', '=', 'secrets').execute();
    const restarted = createSymmetricEncryption({ keyManager: make(), defaultKeyId: 'pii' });
    await expect(restarted.decrypt(secret, { context: ctx })).rejects.toMatchObject({ code: 'CRYPTO_DECRYPT_FAILED' });
  });

  it('KEK rewrap moves every DEK under the new KEK; data stays readable', async () => {
    const { symmetric, store, next, clock } = await setup();
    const texts = [await symmetric.encrypt('x', { context: ctx }), await symmetric.encrypt('y', { context: ctx, keyId: 'other' })];
    const { kek: newKek, previous } = await next();
    const switching = createKeyManager({ store, kek: newKek, previousKeks: previous, clock });
    const first = await switching.rewrapDeks();
    expect(first.rewrapped).toBe(2);
    expect((await switching.rewrapDeks()).rewrapped).toBe(0);
    const labels = (await switching.status()).flatMap((k) => k.versions.map((v) => v.kekLabel));
    expect(new Set(labels)).toEqual(new Set([newKek.current().label]));
    const onlyNew = createSymmetricEncryption({ keyManager: createKeyManager({ store, kek: newKek, clock }), defaultKeyId: 'pii' });
    expect(await onlyNew.decryptString(texts[0]!, { context: ctx })).toBe('x');
    expect(await onlyNew.decryptString(texts[1]!, { context: ctx })).toBe('y');
  });

  it('a DEK wrapped under a KEK nobody holds is CRYPTO_KEY_UNKNOWN', async () => {
    const { symmetric, store, clock } = await setup();
    const text = await symmetric.encrypt('x', { context: ctx });
    const stranger = createSymmetricEncryption({
      keyManager: createKeyManager({ store, kek: createLocalKekProvider(randomBytes(32)), clock }),
      defaultKeyId: 'pii',
    });
    await expect(stranger.decrypt(text, { context: ctx })).rejects.toMatchObject({ code: 'CRYPTO_KEY_UNKNOWN' });
  });

  it('destroys a key: CRYPTO_KEY_DESTROYED for its data', async () => {
    const { symmetric, keyManager } = await setup();
    const text = await symmetric.encrypt('x', { context: ctx, keyId: 'user.1' });
    await keyManager.destroyKey('user.1');
    await expect(symmetric.decrypt(text, { context: ctx })).rejects.toMatchObject({ code: 'CRYPTO_KEY_DESTROYED' });
  });
});
