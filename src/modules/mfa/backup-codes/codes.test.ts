/** Backup code format: Crockford base32, distinct tags, forgiving input normalisation. */
import { describe, expect, it } from 'vitest';

import { CODE_LENGTH, formatCode, generateCode, generateCodeSet, normalizeCode, tagOf } from './codes.js';

describe('backup code format', () => {
  it('generates 12 Crockford base32 symbols (60 bits) and displays them as XXXX-XXXX-XXXX', () => {
    const code = generateCode();
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
    expect(formatCode(code)).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(CODE_LENGTH * 5).toBe(60);
  });

  it('does not repeat codes across many draws (CSPRNG, 60 bits)', () => {
    const codes = new Set(Array.from({ length: 5000 }, generateCode));
    expect(codes.size).toBe(5000);
  });

  it('builds sets whose tags are pairwise distinct', () => {
    for (let i = 0; i < 50; i++) {
      const set = generateCodeSet(20);
      expect(new Set(set.map(tagOf)).size).toBe(20);
    }
  });

  it('normalises case, spaces, hyphens and the Crockford look-alikes O, I, L', () => {
    const code = 'AB0C1DEFGH2J';
    expect(normalizeCode(formatCode(code))).toBe(code);
    expect(normalizeCode(' ab0c-1def gh2j ')).toBe(code);
    expect(normalizeCode('ABOCIDEFGH2J')).toBe(code);
    expect(normalizeCode('ABOCLDEFGH2J')).toBe(code);
  });

  it('rejects wrong lengths, foreign symbols and oversized input', () => {
    expect(normalizeCode('AB0C1DEFGH2')).toBeNull();
    expect(normalizeCode('AB0C1DEFGH2JK')).toBeNull();
    expect(normalizeCode('AB0C1DEFGH2U')).toBeNull(); // U is not in Crockford's alphabet
    expect(normalizeCode('AB0C1DEFGH2*')).toBeNull();
    expect(normalizeCode(`${'-'.repeat(30)}AB0C1DEFGH2J`)).toBeNull();
  });
});
