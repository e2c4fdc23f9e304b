/**
 * Backup (recovery) code format: 12 symbols of Crockford's base32 (60 bits), shown as
 * `XXXX-XXXX-XXXX`. The first group is a public lookup tag (stored in clear, unique per user) so
 * verification runs Argon2id once instead of once per stored code; the 40 bits behind it are
 * what an attacker with the database would have to brute-force through Argon2id.
 * Input is forgiving the way Crockford intends: case, spaces and hyphens are ignored, and
 * O/I/L read as 0/1/1.
 */
import { randomInt } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CODE_LENGTH = 12;
export const TAG_LENGTH = 4;

/** A new random code in canonical form (no separators). */
export function generateCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** `XXXX-XXXX-XXXX` for display. */
export function formatCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}

/** Canonical form of user input, or null when it cannot be a code (wrong length or symbols). */
export function normalizeCode(input: string): string | null {
  if (typeof input !== 'string' || input.length > 32) return null;
  const code = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (code.length !== CODE_LENGTH) return null;
  for (const char of code) if (!ALPHABET.includes(char)) return null;
  return code;
}

export function tagOf(code: string): string {
  return code.slice(0, TAG_LENGTH);
}

/** `count` codes with pairwise distinct tags (a tag collision would make a code unreachable). */
export function generateCodeSet(count: number): string[] {
  const codes = new Map<string, string>();
  while (codes.size < count) {
    const code = generateCode();
    if (!codes.has(tagOf(code))) codes.set(tagOf(code), code);
  }
  return [...codes.values()];
}
