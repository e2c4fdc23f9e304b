import { describe, expect, it } from 'vitest';

import { allTests, hex, wycheproof } from '../testing/vectors.js';
import { AsymmetricEncryption as A } from './asymmetric-encryption.js';

/** Runs the module's import + ECDH path; undefined means the inputs were rejected. */
function agree(curve: 'P-256' | 'X25519', privateHex: unknown, publicHex: unknown): string | undefined {
  try {
    const privateKey = A.importPrivateKey({ format: 'raw', curve, key: hex(privateHex) });
    const publicKey = A.importPublicKey({ format: 'raw', curve, key: hex(publicHex) });
    return A.ecdhSharedSecret(privateKey, publicKey).toString('hex');
  } catch (error) {
    expect((error as { code?: string }).code).toBe('CRYPTO_KEY_INVALID');
    return undefined;
  }
}

describe.each([
  ['ecdh_secp256r1_ecpoint_test.json', 'P-256'],
  ['x25519_test.json', 'X25519'],
] as const)('Wycheproof %s through importPublicKey/importPrivateKey/ecdhSharedSecret (%s)', (name, curve) => {
  const cases = allTests(wycheproof(name));
  it.each(cases.map(({ test }) => [test.tcId, test.result, test] as const))('tc %i (%s)', (_id, result, test) => {
    const shared = agree(curve, test.private, test.public);
    if (result === 'valid') expect(shared).toBe(test.shared);
    else if (result === 'invalid') expect(shared).toBeUndefined();
    // "acceptable": either refused or, if accepted, the right answer.
    else if (shared !== undefined) expect(shared).toBe(test.shared);
  });
});

describe('ECDH session keys (HKDF-SHA256 → AES-256-GCM)', () => {
  it.each(['P-256', 'X25519'] as const)('%s: both sides derive the same key; other info or tampering fails', async (curve) => {
    const alice = await A.generateEcdhKeyPair(curve);
    const bob = await A.generateEcdhKeyPair(curve);
    const a = A.agreeSessionKey({ privateKey: alice.privateKey, peerPublicKey: bob.publicKey, info: 'q2 test' });
    const b = A.agreeSessionKey({ privateKey: bob.privateKey, peerPublicKey: alice.publicKey, info: 'q2 test' });
    const sealed = a.seal(Buffer.from('hello'), Buffer.from('aad'));
    expect(b.open(sealed, Buffer.from('aad')).toString()).toBe('hello');
    const other = A.agreeSessionKey({ privateKey: bob.privateKey, peerPublicKey: alice.publicKey, info: 'q2 other' });
    expect(() => other.open(sealed, Buffer.from('aad'))).toThrow(expect.objectContaining({ code: 'CRYPTO_DECRYPT_FAILED' }));
    sealed[5] = (sealed[5] as number) ^ 1;
    expect(() => b.open(sealed, Buffer.from('aad'))).toThrow(expect.objectContaining({ code: 'CRYPTO_DECRYPT_FAILED' }));
  });

  it('refuses mixed curves and public keys in the private slot', async () => {
    const p256 = await A.generateEcdhKeyPair('P-256');
    const x = await A.generateEcdhKeyPair('X25519');
    expect(() => A.ecdhSharedSecret(p256.privateKey, x.publicKey)).toThrow(expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }));
    expect(() => A.ecdhSharedSecret(x.publicKey, x.publicKey)).toThrow(expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }));
  });
});
