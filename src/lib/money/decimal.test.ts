import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatDecimal, parseDecimal } from './decimal.js';

describe('decimal strings', () => {
  it.each([
    ['0.015', 8, 1_500_000n],
    ['1', 2, 100n],
    ['123.45', 2, 12_345n],
    ['0', 8, 0n],
    ['1.10', 1, 11n],
    ['999999999999999999999999999999', 0, 999999999999999999999999999999n],
  ])('parses %s at scale %i exactly', (text, scale, value) => {
    expect(parseDecimal(text, scale)).toEqual({ ok: true, value });
  });

  it.each([
    ['1e3', 'format'], ['-1', 'format'], ['+1', 'format'], ['01', 'format'], ['.5', 'format'], ['1.', 'format'],
    ['', 'format'], [' 1', 'format'], ['1,5', 'format'], ['NaN', 'format'], ['0x10', 'format'],
    ['0.123456789', 'precision'],
  ])('refuses %s (%s) instead of rounding', (text, reason) => {
    expect(parseDecimal(text, 8)).toEqual({ ok: false, reason });
  });

  it('round-trips every scaled integer through format and parse', () => {
    // Up to 30 integer digits at scale 0 (10^30 itself has 31: refused, tested below).
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n - 1n }), fc.integer({ min: 0, max: 18 }), (value, scale) => {
      expect(parseDecimal(formatDecimal(value, scale), scale)).toEqual({ ok: true, value });
    }));
  });

  it('accepts 30 integer digits and refuses 31', () => {
    expect(parseDecimal('9'.repeat(30), 0)).toEqual({ ok: true, value: 10n ** 30n - 1n });
    expect(parseDecimal(formatDecimal(10n ** 30n, 0), 0)).toEqual({ ok: false, reason: 'format' });
  });
});
