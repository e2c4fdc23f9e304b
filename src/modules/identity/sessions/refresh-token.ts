/** Opaque refresh tokens: 256 random bits, only their SHA-256 is stored. */
import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'q2r_';

export function newRefreshToken(): { token: string; hash: string } {
  const token = PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

/** A token's lookup key. SHA-256 suffices: the input has 256 bits of entropy, so no salt/stretching. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function looksLikeRefreshToken(token: string): boolean {
  return token.startsWith(PREFIX) && /^[A-Za-z0-9_-]{43}$/.test(token.slice(PREFIX.length));
}
