import { describe, expect, it } from 'vitest';

import { allTests, hex, readVectors, wycheproof } from '../testing/vectors.js';
import { hkdfSha256, hmacSha256, pbkdf2Sha256, verifyHmacSha256 } from './kdf.js';

describe('HMAC-SHA256 (Wycheproof hmac_sha256_test.json)', () => {
  const cases = allTests(wycheproof('hmac_sha256_test.json'));
  it.each(cases.map(({ group, test }) => [test.tcId, test.result, group.tagSize as number, test] as const))(
    'tc %i (%s, %i-bit tag) through verifyHmacSha256',
    (_id, result, tagBits, test) => {
      const [key, msg, tag] = [hex(test.key), hex(test.msg), hex(test.tag)];
      expect(verifyHmacSha256(key, msg, tag)).toBe(result === 'valid');
      if (result === 'valid') expect(hmacSha256(key, msg).subarray(0, tagBits / 8).toString('hex')).toBe(test.tag);
    },
  );

  it('refuses tags shorter than 128 bits', () => {
    const tag = hmacSha256(Buffer.alloc(32), 'm');
    expect(verifyHmacSha256(Buffer.alloc(32), 'm', tag.subarray(0, 8))).toBe(false);
  });
});

describe('HKDF-SHA256 (Wycheproof hkdf_sha256_test.json)', () => {
  const cases = allTests(wycheproof('hkdf_sha256_test.json'));
  it.each(cases.map(({ test }) => [test.tcId, test.result, test] as const))('tc %i (%s) through hkdfSha256', (_id, result, test) => {
    const derive = () => hkdfSha256(hex(test.ikm), hex(test.salt), hex(test.info), test.size as number);
    if (result === 'valid') expect(derive().toString('hex')).toBe(test.okm);
    else expect(derive).toThrow(expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }));
  });
});

describe('PBKDF2-HMAC-SHA256 (Wycheproof pbkdf2_hmacsha256_test.json)', () => {
  const cases = allTests(wycheproof('pbkdf2_hmacsha256_test.json'));
  it.each(cases.map(({ test }) => [test.tcId, test.result, test] as const))('tc %i (%s) through pbkdf2Sha256', async (_id, result, test) => {
    const dk = await pbkdf2Sha256(hex(test.password), hex(test.salt), test.iterationCount as number, test.dkLen as number);
    expect(dk.toString('hex') === test.dk).toBe(result === 'valid');
  });
});

describe('PBKDF2-HMAC-SHA256 known answers (pbkdf2_known_answers.json)', () => {
  const { vectors } = readVectors<{ vectors: { P_hex: string; S_hex: string; c: number; dkLen: number; dk: string; slow?: boolean }[] }>(
    'pbkdf2_known_answers.json',
  );
  it.each(vectors.map((v, i) => [i, v.c, v] as const))('vector %i (c = %i)', async (_i, _c, v) => {
    const dk = await pbkdf2Sha256(Buffer.from(v.P_hex, 'hex'), Buffer.from(v.S_hex, 'hex'), v.c, v.dkLen);
    expect(dk.toString('hex')).toBe(v.dk);
  }, 120_000);
});
