import { createSecretKey } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { allTests, hex, wycheproof } from '../testing/vectors.js';
import { aesKwpUnwrap, aesKwpWrap } from './aes-kwp.js';

const file = wycheproof('aes_kwp_test.json');
const cases = allTests(file);
const supported = cases.filter(({ group }) => group.keySize === 256);

describe('AES-256-KWP, RFC 5649 (Wycheproof aes_kwp_test.json)', () => {
  it.each(supported.map(({ test }) => [test.tcId, test.result, test] as const))('tc %i (%s) through aesKwpWrap/aesKwpUnwrap', (_id, result, test) => {
    const kek = createSecretKey(hex(test.key));
    if (result === 'valid') {
      expect(aesKwpWrap(kek, hex(test.msg)).toString('hex')).toBe(test.ct);
      expect(aesKwpUnwrap(kek, hex(test.ct)).toString('hex')).toBe(test.msg);
    } else {
      expect(() => aesKwpUnwrap(kek, hex(test.ct))).toThrow(expect.objectContaining({ code: 'CRYPTO_DECRYPT_FAILED' }));
    }
  });

  it('refuses 128- and 192-bit KEKs (KEKs are AES-256)', () => {
    const others = cases.filter(({ group }) => group.keySize !== 256);
    expect(others.length).toBeGreaterThan(0);
    for (const { test } of others) {
      expect(() => aesKwpUnwrap(createSecretKey(hex(test.key)), hex(test.ct))).toThrow(expect.objectContaining({ code: 'CRYPTO_KEY_INVALID' }));
    }
  });
});
