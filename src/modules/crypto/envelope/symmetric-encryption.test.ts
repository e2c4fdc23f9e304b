import { describe, expect, it } from 'vitest';

import { testKeyRing } from '../testing/fixtures.js';

const ctx = { table: 'users', column: 'email', row: 'u1' };

describe('SymmetricEncryption', () => {
  it('round-trips strings and bytes through text and binary envelopes', async () => {
    const { symmetric } = testKeyRing();
    const text = await symmetric.encrypt('alice@example.com', { context: ctx });
    expect(text).toMatch(/^q2:v1:pii:[A-Za-z0-9_-]+$/);
    expect(await symmetric.decryptString(text, { context: ctx })).toBe('alice@example.com');
    const blob = await symmetric.encryptBytes(Buffer.from([0, 1, 2, 255]), { context: ctx, keyId: 'blobs' });
    expect(blob.subarray(0, 3).toString('latin1')).toBe('Q2\u0001');
    expect(await symmetric.decryptBytes(blob, { context: ctx })).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('never repeats a nonce: equal plaintexts give different ciphertexts', async () => {
    const { symmetric } = testKeyRing();
    const seen = new Set<string>();
    for (let i = 0; i < 200; i += 1) seen.add((await symmetric.encrypt('same', { context: ctx })).slice(10, 26));
    expect(seen.size).toBe(200);
  });

  it('authenticates the context, the caller AAD and the expected key id', async () => {
    const { symmetric } = testKeyRing();
    const text = await symmetric.encrypt('secret', { context: ctx, aad: Buffer.from('a') });
    for (const options of [
      { context: { ...ctx, row: 'u2' }, aad: Buffer.from('a') },
      { context: { ...ctx, column: 'phone' }, aad: Buffer.from('a') },
      { context: ctx, aad: Buffer.from('b') },
      { context: ctx },
      { context: ctx, aad: Buffer.from('a'), keyId: 'other' },
    ]) {
      await expect(symmetric.decrypt(text, options)).rejects.toMatchObject({ code: 'CRYPTO_DECRYPT_FAILED' });
    }
  });

  it('rewrap moves a ciphertext to the primary version without returning plaintext', async () => {
    const { symmetric, keyManager } = testKeyRing();
    const v1 = await symmetric.encrypt('secret', { context: ctx });
    expect(await symmetric.rewrap(v1, { context: ctx })).toBe(v1);
    await keyManager.rotate('pii');
    const v2 = await symmetric.rewrap(v1, { context: ctx });
    expect(symmetric.header(v2)).toEqual({ keyId: 'pii', version: 2 });
    expect(await symmetric.decryptString(v2, { context: ctx })).toBe('secret');
    await expect(symmetric.rewrap(v1, { context: { ...ctx, row: 'u9' } })).rejects.toMatchObject({ code: 'CRYPTO_DECRYPT_FAILED' });
  });

  it('reports unknown keys and versions as CRYPTO_KEY_UNKNOWN', async () => {
    const { symmetric } = testKeyRing();
    const text = await symmetric.encrypt('x', { context: ctx });
    await expect(symmetric.decrypt(text.replace('q2:v1:pii:', 'q2:v2:pii:'), { context: ctx })).rejects.toMatchObject({ code: 'CRYPTO_KEY_UNKNOWN' });
    await expect(symmetric.decrypt(text.replace('q2:v1:pii:', 'q2:v1:nope:'), { context: ctx })).rejects.toMatchObject({ code: 'CRYPTO_KEY_UNKNOWN' });
  });
});
