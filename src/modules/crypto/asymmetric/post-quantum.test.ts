import { describe, expect, it } from 'vitest';

import { allTests, hex, wycheproof } from '../testing/vectors.js';
import { AsymmetricEncryption as A } from './asymmetric-encryption.js';

describe('ML-KEM-768 (Wycheproof mlkem_768_test.json) through AsymmetricEncryption.mlKem768', () => {
  const cases = allTests(wycheproof('mlkem_768_test.json'));
  it.each(cases.map(({ test }) => [test.tcId, test.result, test] as const))('tc %i (%s)', (_id, result, test) => {
    const run = () => {
      const { publicKey, secretKey } = A.mlKem768.generateKeyPair(hex(test.seed));
      if (typeof test.ek === 'string') expect(Buffer.from(publicKey).toString('hex')).toBe(test.ek);
      return Buffer.from(A.mlKem768.decapsulate(hex(test.c), secretKey)).toString('hex');
    };
    if (result === 'valid') expect(run()).toBe(test.K);
    else expect(run).toThrow(expect.objectContaining({ code: expect.stringMatching(/^CRYPTO_(KEY|FORMAT)_INVALID$/) }));
  });

  it('encapsulates to a fresh key pair', () => {
    const { publicKey, secretKey } = A.mlKem768.generateKeyPair();
    const { cipherText, sharedSecret } = A.mlKem768.encapsulate(publicKey);
    expect(A.mlKem768.decapsulate(cipherText, secretKey)).toEqual(sharedSecret);
  });
});

describe('ML-DSA-65 (Wycheproof mldsa_65_verify_test.json) through AsymmetricEncryption.mlDsa65', () => {
  const cases = allTests(wycheproof('mldsa_65_verify_test.json'));
  it.each(cases.map(({ group, test }) => [test.tcId, test.result, group, test] as const))('tc %i (%s)', (_id, result, group, test) => {
    const verdict = (() => {
      try {
        const ctx = typeof test.ctx === 'string' ? hex(test.ctx) : undefined;
        return A.mlDsa65.verify(hex(test.sig), hex(test.msg), hex(group.publicKey), ctx);
      } catch (error) {
        // Rejections by exception: a public key of the wrong size, a context over 255 bytes.
        expect((error as { code?: string }).code === 'CRYPTO_KEY_INVALID' || error instanceof TypeError).toBe(true);
        return false;
      }
    })();
    expect(verdict).toBe(result === 'valid');
  });

  it('signs and verifies with a context; another context or message fails', () => {
    const { publicKey, secretKey } = A.mlDsa65.generateKeyPair();
    const ctx = Buffer.from('q2/audit');
    const sig = A.mlDsa65.sign(Buffer.from('m'), secretKey, ctx);
    expect(A.mlDsa65.verify(sig, Buffer.from('m'), publicKey, ctx)).toBe(true);
    expect(A.mlDsa65.verify(sig, Buffer.from('m'), publicKey, Buffer.from('q2/other'))).toBe(false);
    expect(A.mlDsa65.verify(sig, Buffer.from('n'), publicKey, ctx)).toBe(false);
  });
});

describe('hybrid X25519 + ML-KEM-768 (X-Wing) sessions', () => {
  it('both sides derive the same AES-256-GCM session key', () => {
    const { publicKey, secretKey } = A.hybridKem.generateKeyPair();
    const sender = A.hybridKem.encapsulate(publicKey, 'q2 session');
    expect(sender.encapsulation).toHaveLength(1120);
    const receiver = A.hybridKem.decapsulate(sender.encapsulation, secretKey, 'q2 session');
    expect(receiver.open(sender.sessionKey.seal(Buffer.from('quantum-safe'))).toString()).toBe('quantum-safe');
  });

  it('a tampered encapsulation or other info yields a key that cannot open (implicit rejection)', () => {
    const { publicKey, secretKey } = A.hybridKem.generateKeyPair();
    const sender = A.hybridKem.encapsulate(publicKey, 'q2 session');
    const sealed = sender.sessionKey.seal(Buffer.from('x'));
    for (const index of [0, 500, 1087, 1088, 1119]) {
      const forged = Uint8Array.from(sender.encapsulation);
      forged[index] = (forged[index] as number) ^ 1;
      const key = A.hybridKem.decapsulate(forged, secretKey, 'q2 session');
      expect(() => key.open(sealed)).toThrow(expect.objectContaining({ code: 'CRYPTO_DECRYPT_FAILED' }));
    }
    expect(() => A.hybridKem.decapsulate(sender.encapsulation, secretKey, 'other').open(sealed)).toThrow(
      expect.objectContaining({ code: 'CRYPTO_DECRYPT_FAILED' }),
    );
    expect(() => A.hybridKem.decapsulate(sender.encapsulation.subarray(1), secretKey, 'q2 session')).toThrow(
      expect.objectContaining({ code: 'CRYPTO_FORMAT_INVALID' }),
    );
  });
});
