import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { createKekProvider, createKekProviders } from './factory.js';
import { localKekLabel } from './local.js';
import {
  deriveMasterKeyFromPassphrase,
  developmentMasterKeyPath,
  ensureDevelopmentMasterKey,
  loadOrCreatePassphraseSalt,
  MIN_PBKDF2_ITERATIONS,
  passphraseSaltPath,
  readMasterKeyFile,
} from './master-key.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'q2-kek-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('development master key', () => {
  it('is created once, 32 bytes, mode 0600, and never overwritten', async () => {
    const dir = join(await tempDir(), 'data');
    expect(await ensureDevelopmentMasterKey(dir)).toBe(true);
    const first = await readFile(developmentMasterKeyPath(dir));
    expect(first).toHaveLength(32);
    expect((await stat(developmentMasterKeyPath(dir))).mode & 0o777).toBe(0o600);
    expect(await ensureDevelopmentMasterKey(dir)).toBe(false);
    expect(await readFile(developmentMasterKeyPath(dir))).toEqual(first);
  });

  it('two concurrent bootstraps create exactly one key', async () => {
    const dir = await tempDir();
    const created = await Promise.all([ensureDevelopmentMasterKey(dir), ensureDevelopmentMasterKey(dir), ensureDevelopmentMasterKey(dir)]);
    expect(created.filter(Boolean)).toHaveLength(1);
  });
});

describe('master key files', () => {
  it('accepts raw, hex and base64 spellings of 32 bytes', async () => {
    const dir = await tempDir();
    const key = randomBytes(32);
    for (const [name, content] of [
      ['raw', key],
      ['hex', `${key.toString('hex')}\n`],
      ['b64', `${key.toString('base64')}\n`],
      ['b64url', key.toString('base64url')],
    ] as const) {
      await writeFile(join(dir, name), content);
      expect(await readMasterKeyFile(join(dir, name))).toEqual(key);
    }
  });

  it('refuses other sizes and missing files with CRYPTO_KEK_UNAVAILABLE', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'short'), randomBytes(16));
    await expect(readMasterKeyFile(join(dir, 'short'))).rejects.toMatchObject({ code: 'CRYPTO_KEK_UNAVAILABLE' });
    await expect(readMasterKeyFile(join(dir, 'absent'))).rejects.toMatchObject({ code: 'CRYPTO_KEK_UNAVAILABLE' });
  });
});

describe('passphrase master key (PBKDF2-HMAC-SHA256)', () => {
  it('stores a random salt beside the key ring with ≥ 600,000 iterations and derives the same key again', async () => {
    const dir = await tempDir();
    const a = await deriveMasterKeyFromPassphrase('correct horse battery staple', dir);
    const salt = JSON.parse(await readFile(passphraseSaltPath(dir), 'utf8')) as { iterations: number; salt: string };
    expect(salt.iterations).toBeGreaterThanOrEqual(MIN_PBKDF2_ITERATIONS);
    expect(Buffer.from(salt.salt, 'base64url')).toHaveLength(32);
    expect((await stat(passphraseSaltPath(dir))).mode & 0o777).toBe(0o600);
    expect(await deriveMasterKeyFromPassphrase('correct horse battery staple', dir)).toEqual(a);
    expect(await deriveMasterKeyFromPassphrase('wrong horse battery staple', dir)).not.toEqual(a);
    const elsewhere = await deriveMasterKeyFromPassphrase('correct horse battery staple', await tempDir());
    expect(elsewhere).not.toEqual(a);
  }, 30_000);

  it('refuses a salt file edited below 600,000 iterations', async () => {
    const dir = await tempDir();
    await writeFile(passphraseSaltPath(dir), JSON.stringify({ v: 1, kdf: 'PBKDF2-HMAC-SHA256', iterations: 1000, salt: randomBytes(32).toString('base64url') }));
    await expect(loadOrCreatePassphraseSalt(dir)).rejects.toMatchObject({ code: 'CRYPTO_KEK_UNAVAILABLE' });
  });
});

describe('createKekProvider(KeysConfig)', () => {
  it('local: uses the key file, or <dataDir>/master.key in development, and fails without either', async () => {
    const dataDir = await tempDir();
    await expect(createKekProvider({ provider: 'local', dataDir })).rejects.toMatchObject({ code: 'CRYPTO_KEK_UNAVAILABLE' });
    await ensureDevelopmentMasterKey(dataDir);
    const dev = await createKekProvider({ provider: 'local', dataDir });
    expect(dev.current().label).toBe(localKekLabel(await readFile(developmentMasterKeyPath(dataDir))));
    const file = join(dataDir, 'other.key');
    const key = randomBytes(32);
    await writeFile(file, key);
    expect((await createKekProvider({ provider: 'local', dataDir, masterKeyFile: file })).current().label).toBe(localKekLabel(key));
  });

  it('pkcs11 without settings fails with CRYPTO_KEK_UNAVAILABLE, and keeps a local provider to unwrap during a switch', async () => {
    const dataDir = await tempDir();
    await expect(createKekProviders({ provider: 'pkcs11', dataDir })).rejects.toMatchObject({ code: 'CRYPTO_KEK_UNAVAILABLE' });
    await expect(
      createKekProviders({ provider: 'pkcs11', dataDir, pkcs11: { lib: '/nonexistent/libpkcs11.so', tokenLabel: 'x', pin: '1' } }),
    ).rejects.toMatchObject({ code: 'CRYPTO_KEK_UNAVAILABLE' });
  });
});
