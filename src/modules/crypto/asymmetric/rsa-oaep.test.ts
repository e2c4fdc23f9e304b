import { describe, expect, it } from 'vitest';

import { allTests, hex, wycheproof } from '../testing/vectors.js';
import { AsymmetricEncryption as A } from './asymmetric-encryption.js';

describe.each(['rsa_oaep_2048_sha256_mgf1sha256_test.json', 'rsa_oaep_4096_sha256_mgf1sha256_test.json'])(
  'Wycheproof %s through AsymmetricEncryption.rsaOaepDecrypt',
  (name) => {
    const cases = allTests(wycheproof(name));
    it.each(cases.map(({ group, test }) => [test.tcId, test.result, group, test] as const))('tc %i (%s)', (_id, result, group, test) => {
      const key = A.importPrivateKey({ format: 'der', key: hex(group.privateKeyPkcs8) });
      const label = hex(test.label ?? '');
      const decrypt = () => A.rsaOaepDecrypt(key, hex(test.ct), label.length > 0 ? label : undefined);
      if (result === 'valid') expect(decrypt().toString('hex')).toBe(test.msg);
      else expect(decrypt).toThrow(expect.objectContaining({ code: 'CRYPTO_DECRYPT_FAILED' }));
    });
  },
);

describe('RSA-OAEP round trips', () => {
  it.each([2048, 4096] as const)('RSA-%i encrypts and decrypts with and without a label', async (bits) => {
    const { publicKey, privateKey } = await A.generateRsaKeyPair(bits);
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(bits);
    const secret = Buffer.from('withdrawal key material');
    expect(A.rsaOaepDecrypt(privateKey, A.rsaOaepEncrypt(publicKey, secret))).toEqual(secret);
    const labelled = A.rsaOaepEncrypt(publicKey, secret, Buffer.from('ctx'));
    expect(A.rsaOaepDecrypt(privateKey, labelled, Buffer.from('ctx'))).toEqual(secret);
    expect(() => A.rsaOaepDecrypt(privateKey, labelled, Buffer.from('other'))).toThrow(expect.objectContaining({ code: 'CRYPTO_DECRYPT_FAILED' }));
  }, 60_000);

  it('refuses RSA keys under 2048 bits', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => A.rsaOaepEncrypt(publicKey, Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }));
  });
});
