import { describe, expect, it } from 'vitest';

import { testKeyRing } from '../testing/fixtures.js';
import { createBlindIndex, normalizeEmail } from './blind-index.js';
import { defineEncryptedColumns } from './encrypted-columns.js';
import { createFieldCipher } from './field-cipher.js';

interface User {
  id: string;
  email: string | null;
  phone: string | null;
  kyc: { level: number; country: string } | null;
  selfie: Buffer | null;
  email_bidx?: string | null;
}

const users = defineEncryptedColumns<User>({
  table: 'users',
  rowId: 'id',
  columns: {
    email: { keyId: 'pii', blindIndex: { column: 'email_bidx', normalize: normalizeEmail } },
    phone: { keyId: (row) => `user.${row.id}` },
    kyc: { keyId: 'pii', type: 'json' },
    selfie: { keyId: 'pii', type: 'bytes' },
  },
});

function setup() {
  const ring = testKeyRing();
  const blindIndex = createBlindIndex({ keyManager: ring.keyManager });
  const fields = createFieldCipher({ symmetric: ring.symmetric, keyManager: ring.keyManager, blindIndex });
  return { ...ring, blindIndex, fields };
}

const alice: User = { id: 'u1', email: 'Alice@Example.com', phone: '+41 79 000 00 00', kyc: { level: 2, country: 'CH' }, selfie: Buffer.from([1, 2, 3]), email_bidx: undefined };

describe('encrypted columns', () => {
  it('encrypts declared columns on write and restores their types on read', async () => {
    const { fields } = setup();
    const stored = await fields.encryptRow(users, alice);
    expect(stored.id).toBe('u1');
    for (const column of ['email', 'kyc', 'selfie']) expect(stored[column]).toMatch(/^q2:v1:pii:/);
    expect(stored.phone).toMatch(/^q2:v1:user\.u1:/);
    expect(stored.email_bidx).toMatch(/^v1:[A-Za-z0-9_-]{43}$/);
    const { email_bidx: _bidx, ...plain } = await fields.decryptRow(users, stored);
    expect(plain).toEqual({ ...alice, email_bidx: undefined, selfie: Buffer.from([1, 2, 3]) } satisfies User);
  });

  it('keeps nulls as nulls', async () => {
    const { fields } = setup();
    const stored = await fields.encryptRow(users, { id: 'u2', email: null, phone: null, kyc: null, selfie: null });
    expect(stored).toMatchObject({ email: null, phone: null, kyc: null, selfie: null, email_bidx: null });
    expect(await fields.decryptRow(users, stored)).toMatchObject({ email: null });
  });

  it('a ciphertext moved to another row or column does not decrypt', async () => {
    const { fields } = setup();
    const a = await fields.encryptRow(users, alice);
    const b = await fields.encryptRow(users, { ...alice, id: 'u2', phone: null });
    await expect(fields.decryptRow(users, { ...b, email: a.email })).rejects.toMatchObject({ code: 'CRYPTO_DECRYPT_FAILED' });
    await expect(fields.decryptRow(users, { ...a, kyc: a.email })).rejects.toMatchObject({ code: 'CRYPTO_DECRYPT_FAILED' });
    // Per-user keys: user u2's row refuses a ciphertext under user u1's key even before the tag.
    await expect(fields.decryptRow(users, { ...b, phone: a.phone })).rejects.toMatchObject({ code: 'CRYPTO_DECRYPT_FAILED' });
  });

  it('finds rows by blind index with normalised equality, across a blind-index rotation', async () => {
    const { fields, keyManager } = setup();
    const stored = await fields.encryptRow(users, alice);
    expect(await fields.lookup(users, 'email', '  alice@EXAMPLE.com ')).toEqual([stored.email_bidx]);
    expect(await fields.lookup(users, 'email', 'bob@example.com')).not.toContain(stored.email_bidx);
    await keyManager.rotate('blind-index');
    const candidates = await fields.lookup(users, 'email', 'alice@example.com');
    expect(candidates).toHaveLength(2);
    expect(candidates[1]).toBe(stored.email_bidx);
    expect(candidates[0]).toMatch(/^v2:/);
  });

  it('rewrapRow re-encrypts stale fields and recomputes stale indexes, and reports nothing when current', async () => {
    const { fields, keyManager } = setup();
    const stored = await fields.encryptRow(users, alice);
    expect(await fields.rewrapRow(users, stored)).toBeUndefined();
    await keyManager.rotate('pii');
    await keyManager.rotate('blind-index');
    const next = await fields.rewrapRow(users, stored);
    expect(Object.keys(next!).sort()).toEqual(['email', 'email_bidx', 'kyc', 'selfie']);
    const updated = { ...stored, ...next };
    expect(await fields.rewrapRow(users, updated)).toBeUndefined();
    expect((await fields.decryptRow(users, updated)).kyc).toEqual({ level: 2, country: 'CH' });
    expect(updated.email_bidx).toBe((await fields.lookup(users, 'email', 'alice@example.com'))[0]);
  });

  it('crypto-shredding one user key leaves the other columns readable', async () => {
    const { fields, keyManager } = setup();
    const stored = await fields.encryptRow(users, alice);
    await keyManager.destroyKey('user.u1');
    await expect(fields.decryptRow(users, stored)).rejects.toMatchObject({ code: 'CRYPTO_KEY_DESTROYED' });
    expect((await fields.decryptRow(users, { ...stored, phone: null })).email).toBe('Alice@Example.com');
  });

  it('validates declarations', () => {
    expect(() => defineEncryptedColumns({ table: 'Users', rowId: 'id', columns: { a: { keyId: 'pii' } } })).toThrow(TypeError);
    expect(() => defineEncryptedColumns({ table: 'users', rowId: 'id', columns: {} })).toThrow(TypeError);
    expect(() => defineEncryptedColumns({ table: 'users', rowId: 'id', columns: { id: { keyId: 'pii' } } })).toThrow(TypeError);
    expect(() =>
      defineEncryptedColumns({ table: 'users', rowId: 'id', columns: { a: { keyId: 'pii', type: 'json', blindIndex: { column: 'a_bidx' } } } }),
    ).toThrow(TypeError);
  });
});
