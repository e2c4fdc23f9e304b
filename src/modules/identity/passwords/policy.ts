/**
 * Password policy (SPEC §3, NIST SP 800-63B §5.1.1.2): 12–128 characters, no composition rules,
 * refused when it is, or trivially derives from, a known common/breached password.
 *
 * The list is zxcvbn-ts's `passwords` dictionary (@zxcvbn-ts/language-common, MIT): 49,233
 * entries ranked from public breach corpora. Few of them are 12+ characters, so a candidate is
 * also checked after normalising the usual decorations people add to pass length rules:
 * case, trailing digits/symbols, leetspeak and simple repetition ("Password123!", "p@ssw0rdp@ssw0rd").
 */
import languageCommon from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

export type PasswordVerdict = { ok: true } | { ok: false; reason: 'too_short' | 'too_long' | 'common' | 'contains_email' };

const COMMON: ReadonlySet<string> = new Set(languageCommon.dictionary.passwords as string[]);

const LEET: Readonly<Record<string, string>> = { '@': 'a', '4': 'a', '3': 'e', '1': 'i', '!': 'i', '0': 'o', '$': 's', '5': 's', '7': 't' };

function deLeet(s: string): string {
  return [...s].map((c) => LEET[c] ?? c).join('');
}

/** Candidate base words a decorated password may hide. */
function candidates(password: string): Set<string> {
  const lower = password.toLowerCase();
  const stripped = lower.replace(/[\d\W_]+$/u, '').replace(/^[\d\W_]+/u, '');
  const out = new Set([lower, stripped, deLeet(lower), deLeet(stripped)]);
  for (const word of [...out]) {
    // "abcabcabcabc" → "abc": a repeated common word is still a common word.
    const repeat = /^(.+?)\1+$/u.exec(word);
    if (repeat?.[1]) out.add(repeat[1]);
  }
  return out;
}

/** Counts Unicode code points, so an emoji is one character, as users perceive it. */
function length(password: string): number {
  return [...password].length;
}

export function isCommonPassword(password: string): boolean {
  for (const word of candidates(password)) if (word.length >= 4 && COMMON.has(word)) return true;
  return false;
}

export function checkPasswordPolicy(password: string, email?: string): PasswordVerdict {
  const n = length(password.normalize('NFKC'));
  if (n < PASSWORD_MIN_LENGTH) return { ok: false, reason: 'too_short' };
  if (n > PASSWORD_MAX_LENGTH) return { ok: false, reason: 'too_long' };
  if (isCommonPassword(password)) return { ok: false, reason: 'common' };
  const local = email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && password.toLowerCase().includes(local)) return { ok: false, reason: 'contains_email' };
  return { ok: true };
}

export const COMMON_PASSWORD_COUNT = COMMON.size;
