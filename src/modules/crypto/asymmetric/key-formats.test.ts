import { describe, expect, it } from 'vitest';

import { AsymmetricEncryption as A } from './asymmetric-encryption.js';

describe('key formats (SPKI / PKCS#8 / JWK)', () => {
  it.each(['Ed25519', 'ECDSA-P256-SHA256', 'RSA-PSS-SHA256'] as const)('%s keys survive PEM, DER and JWK round trips', async (alg) => {
    const { publicKey, privateKey } = await A.generateSigningKeyPair(alg);
    const message = Buffer.from('m');
    const signature = A.sign(alg, privateKey, message);
    for (const imported of [
      A.importPublicKey({ format: 'pem', key: A.exportKey(publicKey, 'pem') }),
      A.importPublicKey({ format: 'der', key: A.exportKey(publicKey, 'der') }),
      A.importPublicKey({ format: 'jwk', key: A.exportKey(publicKey, 'jwk') }),
    ]) {
      expect(A.verify(alg, imported, message, signature)).toBe(true);
    }
    const fromPem = A.importPrivateKey({ format: 'pem', key: A.exportKey(privateKey, 'pem') });
    const fromJwk = A.importPrivateKey({ format: 'jwk', key: A.exportKey(privateKey, 'jwk') });
    expect(A.verify(alg, publicKey, message, A.sign(alg, fromPem, message))).toBe(true);
    expect(A.verify(alg, publicKey, message, A.sign(alg, fromJwk, message))).toBe(true);
  });

  it('exports private keys encrypted under a passphrase and needs it back', async () => {
    const { privateKey } = await A.generateSigningKeyPair('Ed25519');
    const pem = A.exportKey(privateKey, 'pem', 'correct horse battery staple');
    expect(pem).toContain('ENCRYPTED PRIVATE KEY');
    expect(A.importPrivateKey({ format: 'pem', key: pem }, 'correct horse battery staple').asymmetricKeyType).toBe('ed25519');
    expect(() => A.importPrivateKey({ format: 'pem', key: pem }, 'wrong')).toThrow(expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }));
  });

  it('maps malformed input to CRYPTO_KEY_INVALID', () => {
    expect(() => A.importPublicKey({ format: 'pem', key: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' })).toThrow(
      expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }),
    );
    expect(() => A.importPublicKey({ format: 'raw', curve: 'X25519', key: Buffer.alloc(31) })).toThrow(
      expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }),
    );
    expect(() => A.importPublicKey({ format: 'raw', curve: 'P-256', key: Buffer.alloc(65, 4) })).toThrow(
      expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }),
    );
  });
});
