import { describe, expect, it } from 'vitest';

import { allTests, hex, wycheproof } from '../testing/vectors.js';
import { AsymmetricEncryption as A } from './asymmetric-encryption.js';
import type { SignatureAlgorithm } from './signatures.js';

const suites: [string, SignatureAlgorithm][] = [
  ['ecdsa_secp256r1_sha256_p1363_test.json', 'ECDSA-P256-SHA256'],
  ['ed25519_test.json', 'Ed25519'],
  ['rsa_pss_2048_sha256_mgf1_32_test.json', 'RSA-PSS-SHA256'],
];

describe.each(suites)('Wycheproof %s through AsymmetricEncryption.verify(%s)', (name, alg) => {
  const cases = allTests(wycheproof(name));
  it.each(cases.map(({ group, test }) => [test.tcId, test.result, group, test] as const))('tc %i (%s)', (_id, result, group, test) => {
    const key = A.importPublicKey({ format: 'der', key: hex(group.publicKeyDer) });
    expect(A.verify(alg, key, hex(test.msg), hex(test.sig))).toBe(result === 'valid');
  });
});

describe('signature round trips', () => {
  it.each<SignatureAlgorithm>(['ECDSA-P256-SHA256', 'Ed25519', 'RSA-PSS-SHA256'])('%s signs and verifies; a flipped bit fails', async (alg) => {
    const { publicKey, privateKey } = await A.generateSigningKeyPair(alg);
    const message = Buffer.from('order 42: buy 1 BTC');
    const signature = A.sign(alg, privateKey, message);
    expect(A.verify(alg, publicKey, message, signature)).toBe(true);
    signature[signature.length - 1] = (signature[signature.length - 1] as number) ^ 1;
    expect(A.verify(alg, publicKey, message, signature)).toBe(false);
    expect(A.verify(alg, publicKey, Buffer.from('order 42: buy 2 BTC'), A.sign(alg, privateKey, message))).toBe(false);
  });

  it('ECDSA signatures are 64-byte P1363 by default and DER on request', async () => {
    const { publicKey, privateKey } = await A.generateSigningKeyPair('ECDSA-P256-SHA256');
    expect(A.sign('ECDSA-P256-SHA256', privateKey, Buffer.from('m'))).toHaveLength(64);
    const der = A.sign('ECDSA-P256-SHA256', privateKey, Buffer.from('m'), { ecdsaEncoding: 'der' });
    expect(der[0]).toBe(0x30);
    expect(A.verify('ECDSA-P256-SHA256', publicKey, Buffer.from('m'), der, { ecdsaEncoding: 'der' })).toBe(true);
  });

  it('refuses a key of the wrong algorithm with CRYPTO_KEY_INVALID (no algorithm confusion)', async () => {
    const ed = await A.generateSigningKeyPair('Ed25519');
    const ec = await A.generateSigningKeyPair('ECDSA-P256-SHA256');
    expect(() => A.verify('ECDSA-P256-SHA256', ed.publicKey, Buffer.alloc(1), Buffer.alloc(64))).toThrow(
      expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }),
    );
    expect(() => A.sign('Ed25519', ec.privateKey, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }));
    expect(() => A.verify('RSA-PSS-SHA256', ec.publicKey, Buffer.alloc(1), Buffer.alloc(256))).toThrow(
      expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }),
    );
    expect(() => A.sign('Ed25519', ed.publicKey, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }));
  });
});
