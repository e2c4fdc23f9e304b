import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { fromBase64Url, lengthPrefixed, toBase64Url } from './bytes.js';

describe('canonical base64url', () => {
  it('accepts exactly the canonical encodings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(fromBase64Url(toBase64Url(bytes))).toEqual(Buffer.from(bytes));
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'AQgw_-+/=!. \n\t\u00e9\u0000AZaz09'.split(''), '\u0141', '\ud83d', '\u0100'), maxLength: 24 }), (text) => {
        let decoded: Buffer | undefined;
        try {
          decoded = fromBase64Url(text);
        } catch (error) {
          expect(error).toMatchObject({ code: 'CRYPTO_FORMAT_INVALID' });
          return;
        }
        expect(toBase64Url(decoded)).toBe(text);
      }),
      { numRuns: 20_000 },
    );
  });

  it.each(['AB', 'AAA=', 'A+B/', 'AA AA', 'AAB', 'A', 'AAAA=', 'AA=A', 'AAAAA\n', 'AAAA\u0000A', '\u00e9AAA'])('rejects %j', (text) => {
    expect(() => fromBase64Url(text)).toThrow(expect.objectContaining({ code: 'CRYPTO_FORMAT_INVALID' }));
  });
});

describe('length-prefixed encoding', () => {
  it('does not confuse part boundaries', () => {
    expect(lengthPrefixed(['a', 'bc']).equals(lengthPrefixed(['ab', 'c']))).toBe(false);
    expect(lengthPrefixed(['', 'x']).equals(lengthPrefixed(['x', '']))).toBe(false);
  });
});
