/**
 * Attack suite for src/modules/crypto: each test names the threat it covers. Every failure must
 * be a coded AppError (CRYPTO_*), never a silent success and never an uncoded crash.
 */
import { describe, expect, it } from 'vitest';

import {
  createBlindIndex,
  createFieldCipher,
  defineEncryptedColumns,
  isCryptoError,
  normalizeEmail,
} from '../../src/modules/crypto/index.js';
import { testKeyRing } from '../../src/modules/crypto/testing/fixtures.js';

const ctx = { table: 'users', column: 'email', row: 'u1' };
const aad = Buffer.from('order:42');

async function expectCoded(attempt: Promise<unknown>, allowed: readonly string[]): Promise<void> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'tampered input decrypted').toBeDefined();
  expect(isCryptoError(error), `uncoded error: ${String(error)}`).toBe(true);
  expect(allowed).toContain((error as { code: string }).code);
}

const ANY = ['CRYPTO_DECRYPT_FAILED', 'CRYPTO_FORMAT_INVALID', 'CRYPTO_KEY_UNKNOWN', 'CRYPTO_KEY_RETIRED'] as const;

describe('attacks on stored ciphertexts', () => {
  it('T1 bit flips in the body: flipping any byte of nonce, ciphertext or tag fails', async () => {
    const { symmetric } = testKeyRing();
    const blob = await symmetric.encryptBytes(Buffer.from('4111 1111 1111 1111'), { context: ctx, aad });
    for (let i = 0; i < blob.length; i += 1) {
      for (const mask of [0x01, 0x80]) {
        const forged = Buffer.from(blob);
        forged[i] = (forged[i] as number) ^ mask;
        await expectCoded(symmetric.decryptBytes(forged, { context: ctx, aad }), ANY);
      }
    }
  });

  it('T2 header edits (key id, version, scheme): replacing any character of a text envelope fails', async () => {
    const { symmetric, keyManager } = testKeyRing();
    await keyManager.ensureKey('pii');
    await keyManager.ensureKey('pij');
    await keyManager.rotate('pii');
    await keyManager.rotate('pii');
    const text = await symmetric.encrypt('alice@example.com', { context: ctx, aad });
    // v1 and v2 and a key `pij` exist, so an edit can land on a real, readable key: the AAD still fails.
    for (let i = 0; i < text.length; i += 1) {
      for (const replacement of new Set([String.fromCharCode(text.charCodeAt(i) ^ 1), '1', 'A', '_'])) {
        if (replacement === text[i]) continue;
        const forged = text.slice(0, i) + replacement + text.slice(i + 1);
        await expectCoded(symmetric.decrypt(forged, { context: ctx, aad }), ANY);
      }
    }
  });

  it('T3 associated-data tampering: flipping any byte of the caller AAD fails', async () => {
    const { symmetric } = testKeyRing();
    const text = await symmetric.encrypt('x', { context: ctx, aad });
    for (let i = 0; i < aad.length; i += 1) {
      const forged = Buffer.from(aad);
      forged[i] = (forged[i] as number) ^ 1;
      await expectCoded(symmetric.decrypt(text, { context: ctx, aad: forged }), ['CRYPTO_DECRYPT_FAILED']);
    }
    await expectCoded(symmetric.decrypt(text, { context: ctx }), ['CRYPTO_DECRYPT_FAILED']);
  });

  it('T4 cut-and-paste: a field copied to another row, column or table does not decrypt', async () => {
    const { symmetric, keyManager } = testKeyRing();
    const users = defineEncryptedColumns({ table: 'users', rowId: 'id', columns: { email: { keyId: 'pii' }, iban: { keyId: 'pii' } } });
    const admins = defineEncryptedColumns({ table: 'admins', rowId: 'id', columns: { email: { keyId: 'pii' } } });
    const fields = createFieldCipher({ symmetric, keyManager });
    const victim = await fields.encryptRow(users, { id: 'victim', email: 'v@example.com', iban: 'CH93 0076 2011 6238 5295 7' });
    const attacker = await fields.encryptRow(users, { id: 'attacker', email: 'a@example.com', iban: 'CH00' });
    await expectCoded(fields.decryptRow(users, { ...attacker, iban: victim.iban }), ['CRYPTO_DECRYPT_FAILED']);
    await expectCoded(fields.decryptRow(users, { ...victim, email: victim.iban }), ['CRYPTO_DECRYPT_FAILED']);
    await expectCoded(fields.decryptRow(admins, { id: 'victim', email: victim.email }), ['CRYPTO_DECRYPT_FAILED']);
  });

  it('T5 truncation and extension of a ciphertext fail', async () => {
    const { symmetric } = testKeyRing();
    const text = await symmetric.encrypt('amount=100', { context: ctx });
    for (let cut = 1; cut < text.length; cut += 1) await expectCoded(symmetric.decrypt(text.slice(0, cut), { context: ctx }), ANY);
    for (const suffix of ['A', 'AA', 'AAAA', '=', ':']) await expectCoded(symmetric.decrypt(text + suffix, { context: ctx }), ANY);
    const blob = await symmetric.encryptBytes(Buffer.from('amount=100'), { context: ctx });
    for (let cut = 0; cut < blob.length; cut += 1) await expectCoded(symmetric.decryptBytes(blob.subarray(0, cut), { context: ctx }), ANY);
    await expectCoded(symmetric.decryptBytes(Buffer.concat([blob, Buffer.from([0])]), { context: ctx }), ANY);
  });
});

describe('attacks on key versions', () => {
  it('T6 use of a retired version: decrypting under it fails with CRYPTO_KEY_RETIRED', async () => {
    const { symmetric, keyManager, clock } = testKeyRing();
    const old = await symmetric.encrypt('x', { context: ctx });
    await keyManager.rotate('pii');
    clock.advance(10 * 60_000);
    await keyManager.retire('pii', 2);
    await expectCoded(symmetric.decrypt(old, { context: ctx }), ['CRYPTO_KEY_RETIRED']);
  });

  it('T7 stale data after rotation: rotate + rewrap leaves every field readable and nothing under the old version', async () => {
    const { symmetric, keyManager } = testKeyRing();
    const plain = Array.from({ length: 50 }, (_, i) => `user${i}@example.com`);
    let stored = await Promise.all(plain.map((p, i) => symmetric.encrypt(p, { context: { ...ctx, row: String(i) } })));
    await keyManager.rotate('pii');
    stored = await Promise.all(stored.map((s, i) => symmetric.rewrap(s, { context: { ...ctx, row: String(i) } })));
    expect(stored.filter((s) => s.startsWith('q2:v1:'))).toEqual([]);
    for (const [i, s] of stored.entries()) expect(await symmetric.decryptString(s, { context: { ...ctx, row: String(i) } })).toBe(plain[i]);
  });

  it('T8 key-ring tampering: a flipped wrapped DEK, or one swapped in from another key, fails to decrypt', async () => {
    const { symmetric, store, kek } = testKeyRing();
    const a = await symmetric.encrypt('a', { context: ctx, keyId: 'pii' });
    await symmetric.encrypt('b', { context: ctx, keyId: 'secrets' });
    const pii = (await store.getKey('pii'))!.versions[0]!.wrapped;
    const secrets = (await store.getKey('secrets'))!.versions[0]!.wrapped;
    const flipped = { ...pii, blob: Buffer.from(pii.blob) };
    flipped.blob[0] = (flipped.blob[0] as number) ^ 1;
    expect(await store.replaceWrappedDek('pii', 1, pii, flipped)).toBe(true);
    const fresh = testKeyRing({ store, kek });
    await expectCoded(fresh.symmetric.decrypt(a, { context: ctx }), ['CRYPTO_DECRYPT_FAILED']);
    expect(await store.replaceWrappedDek('pii', 1, flipped, secrets)).toBe(true);
    await expectCoded(testKeyRing({ store, kek }).symmetric.decrypt(a, { context: ctx }), ['CRYPTO_DECRYPT_FAILED']);
  });

  it('T9 nonce reuse: thousands of encryptions under one key never repeat a nonce', async () => {
    const { symmetric } = testKeyRing();
    const nonces = new Set<string>();
    for (let i = 0; i < 5000; i += 1) {
      const blob = await symmetric.encryptBytes(Buffer.from('x'), { context: ctx });
      nonces.add(blob.subarray(11, 23).toString('hex'));
    }
    expect(nonces.size).toBe(5000);
  });
});

describe('attacks on blind indexes', () => {
  it('T10 cross-column correlation: the same value indexes differently in two columns and under two versions', async () => {
    const { keyManager } = testKeyRing();
    const index = createBlindIndex({ keyManager });
    const email = normalizeEmail('Alice@Example.com');
    const users = await index.compute('users.email', email);
    const admins = await index.compute('admins.email', email);
    expect(users).not.toBe(admins);
    await keyManager.rotate('blind-index');
    expect(await index.compute('users.email', email)).not.toBe(users);
    expect(await index.candidates('users.email', email)).toContain(users);
  });
});
