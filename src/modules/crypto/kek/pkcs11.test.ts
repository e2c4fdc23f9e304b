/** PKCS#11 provider against a real SoftHSM2 token (fails, never skips, in CI without Q2_TEST_PKCS11_LIB). */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pkcs11js from 'pkcs11js';
import { afterAll, describe, expect, it } from 'vitest';

import { createSoftHsmToken, type SoftHsmToken } from '../testing/softhsm.js';
import { createKekProviders } from './factory.js';
import { ensureDevelopmentMasterKey } from './master-key.js';
import { openPkcs11Session } from './pkcs11-module.js';
import { createPkcs11KekProvider } from './pkcs11.js';
import type { KekProvider } from './types.js';

let token: Promise<SoftHsmToken> | undefined;
const softHsm = () => (token ??= createSoftHsmToken());
const open: KekProvider[] = [];

afterAll(async () => {
  for (const provider of open) await provider.close();
  await (await token?.catch(() => undefined))?.cleanup();
});

async function provider(options: { labelPrefix?: string; createIfMissing?: boolean; pin?: string; tokenLabel?: string } = {}) {
  const hsm = await softHsm();
  const kek = await createPkcs11KekProvider({
    lib: hsm.lib,
    tokenLabel: options.tokenLabel ?? hsm.tokenLabel,
    pin: options.pin ?? hsm.pin,
    labelPrefix: options.labelPrefix ?? hsm.uniquePrefix(),
    ...(options.createIfMissing === undefined ? {} : { createIfMissing: options.createIfMissing }),
  });
  open.push(kek);
  return kek;
}

describe('pkcs11 KEK provider (SoftHSM2)', () => {
  it('generates a non-extractable, sensitive, wrap-only AES-256 KEK under <prefix>-v1', async () => {
    const hsm = await softHsm();
    const kek = await provider();
    expect(kek.current()).toMatchObject({ version: 1 });
    expect(kek.current().label).toMatch(/^q2-kek-[0-9a-f]{6}-v1$/);
    const s = openPkcs11Session(hsm.lib, hsm.tokenLabel, hsm.pin);
    try {
      s.module.C_FindObjectsInit(s.session, [{ type: pkcs11js.CKA_LABEL, value: kek.current().label }]);
      const [handle] = s.module.C_FindObjects(s.session, 1);
      s.module.C_FindObjectsFinal(s.session);
      const attrs = s.module.C_GetAttributeValue(s.session, handle!, [
        { type: pkcs11js.CKA_EXTRACTABLE },
        { type: pkcs11js.CKA_SENSITIVE },
        { type: pkcs11js.CKA_ENCRYPT },
        { type: pkcs11js.CKA_WRAP },
        { type: pkcs11js.CKA_VALUE_LEN },
      ]);
      expect(attrs.map((a) => Number(a.value?.readUIntLE(0, Math.min(a.value.length, 4))))).toEqual([0, 1, 0, 1, 32]);
      expect(() => s.module.C_GetAttributeValue(s.session, handle!, [{ type: pkcs11js.CKA_VALUE }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
    } finally {
      s.close();
    }
  });

  it('wraps with RFC 5649 (40-byte blobs for 32-byte DEKs) and unwraps; a flipped bit fails', async () => {
    const kek = await provider();
    const dek = randomBytes(32);
    const wrapped = await kek.wrap(dek);
    expect(wrapped).toMatchObject({ alg: 'A256KWP', provider: 'pkcs11', kekLabel: kek.current().label, kekVersion: 1 });
    expect(wrapped.blob).toHaveLength(40);
    expect(await kek.unwrap(wrapped)).toEqual(dek);
    const tampered = { ...wrapped, blob: Buffer.from(wrapped.blob) };
    tampered.blob[3] = (tampered.blob[3] as number) ^ 1;
    await expect(kek.unwrap(tampered)).rejects.toMatchObject({ code: 'CRYPTO_DECRYPT_FAILED' });
  });

  it('rotates to a new label; old wraps still unwrap; another instance picks up the new KEK', async () => {
    const prefix = (await softHsm()).uniquePrefix();
    const a = await provider({ labelPrefix: prefix });
    const b = await provider({ labelPrefix: prefix });
    const old = await a.wrap(randomBytes(32));
    expect(await a.rotate?.()).toEqual({ label: `${prefix}-v2`, version: 2 });
    const fresh = await b.wrap(randomBytes(32));
    expect(fresh.kekLabel).toBe(`${prefix}-v2`);
    expect(await b.unwrap(old)).toHaveLength(32);
    expect(b.holds(old)).toBe(true);
    expect(b.holds({ ...old, kekLabel: 'someone-else-v1' })).toBe(false);
  });

  it('reports a KEK label the token does not hold as CRYPTO_KEY_UNKNOWN', async () => {
    const kek = await provider();
    const wrapped = await kek.wrap(randomBytes(32));
    await expect(kek.unwrap({ ...wrapped, kekLabel: `${kek.current().label.slice(0, -2)}v9` })).rejects.toMatchObject({ code: 'CRYPTO_KEY_UNKNOWN' });
  });

  it('fails with CRYPTO_KEK_UNAVAILABLE for a wrong PIN, an unknown token or a missing KEK', async () => {
    // PKCS#11 login state belongs to the application: close every session first, or the token
    // is still logged in and a PIN is never checked.
    for (const p of open.splice(0)) await p.close();
    await expect(provider({ pin: '0000' })).rejects.toMatchObject({ code: 'CRYPTO_KEK_UNAVAILABLE' });
    await expect(provider({ tokenLabel: 'no-such-token' })).rejects.toMatchObject({ code: 'CRYPTO_KEK_UNAVAILABLE' });
    await expect(provider({ createIfMissing: false })).rejects.toMatchObject({ code: 'CRYPTO_KEK_UNAVAILABLE' });
  });

  it('createKekProviders(pkcs11) keeps the local master key as a previous provider for the switch', async () => {
    const hsm = await softHsm();
    const dataDir = await mkdtemp(join(tmpdir(), 'q2-switch-'));
    try {
      await ensureDevelopmentMasterKey(dataDir);
      const providers = await createKekProviders({ provider: 'pkcs11', dataDir, pkcs11: { lib: hsm.lib, tokenLabel: hsm.tokenLabel, pin: hsm.pin } });
      try {
        expect(providers.current.kind).toBe('pkcs11');
        expect(providers.current.current().label).toBe('q2-kek-v1');
        expect(providers.previous.map((p) => p.kind)).toEqual(['local']);
      } finally {
        await providers.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses use after close', async () => {
    const kek = await provider();
    await kek.close();
    await expect(kek.wrap(randomBytes(32))).rejects.toMatchObject({ code: 'CRYPTO_KEK_UNAVAILABLE' });
  });
});
