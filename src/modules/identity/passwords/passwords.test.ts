import { describe, expect, it } from 'vitest';
import { COMMON_PASSWORD_COUNT, checkPasswordPolicy, isCommonPassword } from './policy.js';
import { createPasswordHasher } from './hasher.js';

describe('password policy', () => {
  it('ships at least 10,000 common passwords', () => {
    expect(COMMON_PASSWORD_COUNT).toBeGreaterThanOrEqual(10_000);
  });

  it.each([
    ['11 characters', 'abcdefghijk', 'too_short'],
    ['129 characters', 'x'.repeat(129), 'too_long'],
    ['a listed password', '1qaz2wsx3edc', 'common'],
    ['a listed word with digits appended', 'password123456', 'common'],
    ['a listed word in leetspeak with a symbol', 'P@ssw0rd12345!', 'common'],
    ['a repeated listed word', 'dragondragondragon', 'common'],
    ['the email local part', 'Alice.Trader-2026-x', 'contains_email'],
  ])('refuses %s', (_name, password, reason) => {
    expect(checkPasswordPolicy(password, 'alice.trader@example.com')).toEqual({ ok: false, reason });
  });

  it.each(['correct horse battery staple', 'T9#kq2!vLm4@Zr', '🔐'.repeat(12)])('accepts %s', (password) => {
    expect(checkPasswordPolicy(password, 'bob@example.com')).toEqual({ ok: true });
  });

  it('counts characters, not UTF-16 units, at the boundary (12 accepted, 11 refused)', () => {
    // 'ñ' decomposed is two UTF-16 units after NFKD, one character after NFKC.
    expect(checkPasswordPolicy('ñ'.repeat(2) + 'Zq7!vB2#kL').ok).toBe(true);
    expect(checkPasswordPolicy('ñ' + 'Zq7!vB2#kL').ok).toBe(false);
    expect(checkPasswordPolicy('Zq7!vB2#kLpW').ok).toBe(true);
    expect(checkPasswordPolicy('Zq7!vB2#kLp').ok).toBe(false);
    expect(checkPasswordPolicy('x'.repeat(128).replace(/x/g, (_, i: number) => String.fromCharCode(97 + (i % 26)))).ok).toBe(true);
  });

  it('does not flag a strong password just because it contains a short common word', () => {
    expect(isCommonPassword('blue-Otter-sings-9')).toBe(false);
  });
});

describe('argon2id hasher', () => {
  const hasher = createPasswordHasher({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

  it('produces an argon2id PHC string meeting the SPEC floor and verifies it', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(stored, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(stored, 'correct horse battery stapl')).toBe(false);
  });

  it('never authenticates against a malformed stored hash', async () => {
    expect(await hasher.verify('not-a-hash', 'anything at all')).toBe(false);
  });

  it('flags weaker stored parameters for rehash', () => {
    const strong = createPasswordHasher();
    expect(strong.needsRehash('$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA')).toBe(true);
    expect(strong.needsRehash('$argon2id$v=19$m=19456,t=3,p=1$c2FsdHNhbHQ$aGFzaA')).toBe(false);
    expect(strong.needsRehash('$2b$10$abcdefghijklmnopqrstuv')).toBe(true);
  });
});
