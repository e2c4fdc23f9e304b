import { createSecretKey } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { allTests, hex, wycheproof } from '../testing/vectors.js';
import { aesGcmOpen, aesGcmSeal, importAesKey, randomNonce } from './aes-gcm.js';

const file = wycheproof('aes_gcm_test.json');
const cases = allTests(file);
/** The parameters the module supports: AES-256, 96-bit nonce, 128-bit tag. */
const supported = cases.filter(({ group }) => group.keySize === 256 && group.ivSize === 96 && group.tagSize === 128);
const unsupported = cases.filter((c) => !supported.includes(c));

describe('AES-256-GCM (Wycheproof aes_gcm_test.json)', () => {
  it('has vectors for the supported parameters', () => {
    expect(supported.length).toBeGreaterThan(60);
    expect(cases.length).toBe(file.numberOfTests);
  });

  it.each(supported.map(({ test }) => [test.tcId, test.result, test] as const))('tc %i (%s) through aesGcmSeal/aesGcmOpen', (_id, result, test) => {
    const key = importAesKey(hex(test.key));
    const [iv, aad, msg, ct, tag] = [hex(test.iv), hex(test.aad), hex(test.msg), hex(test.ct), hex(test.tag)];
    if (result === 'valid') {
      const sealed = aesGcmSeal(key, iv, msg, aad);
      expect(sealed.ciphertext.toString('hex')).toBe(test.ct);
      expect(sealed.tag.toString('hex')).toBe(test.tag);
      expect(aesGcmOpen(key, iv, ct, tag, aad).toString('hex')).toBe(test.msg);
    } else {
      expect(() => aesGcmOpen(key, iv, ct, tag, aad)).toThrow(expect.objectContaining({ code: 'CRYPTO_DECRYPT_FAILED' }));
    }
  });

  it('rejects every vector with other key, nonce or tag sizes (the module supports none of them)', () => {
    expect(unsupported.length).toBeGreaterThan(0);
    for (const { test } of unsupported) {
      const rejected = (() => {
        try {
          const key = importAesKey(hex(test.key));
          aesGcmOpen(key, hex(test.iv), hex(test.ct), hex(test.tag), hex(test.aad));
          return false;
        } catch (error) {
          return (error as { code?: string }).code === 'CRYPTO_DECRYPT_FAILED' || (error as { code?: string }).code === 'CRYPTO_KEY_INVALID';
        }
      })();
      expect(rejected, `tc ${test.tcId}`).toBe(true);
    }
  });

  it('refuses keys that are not 32 bytes and truncated tags', () => {
    expect(() => importAesKey(Buffer.alloc(16))).toThrow(expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }));
    expect(() => aesGcmSeal(createSecretKey(Buffer.alloc(16)), randomNonce(), Buffer.alloc(1))).toThrow(
      expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }),
    );
    const key = importAesKey(Buffer.alloc(32, 1));
    const nonce = randomNonce();
    const { ciphertext, tag } = aesGcmSeal(key, nonce, Buffer.from('x'));
    expect(() => aesGcmOpen(key, nonce, ciphertext, tag.subarray(0, 12))).toThrow(expect.objectContaining({ code: 'CRYPTO_DECRYPT_FAILED' }));
  });

  it('hands out distinct nonces across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i += 1) seen.add(randomNonce().toString('hex'));
    expect(seen.size).toBe(5000);
  });
});
