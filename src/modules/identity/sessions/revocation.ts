/**
 * Revocation state shared by every replica (StateStore): a `jti` denylist until the token's
 * expiry, a per-user not-before (password change, admin lock), and a per-session liveness key
 * whose TTL is the idle timeout. Checked on every authenticated request.
 */
import type { StateStore } from '../../../lib/state/index.js';
import { ACCESS_TOKEN_TTL_S } from '../tokens/access-tokens.js';

/** Tokens can be up to 30 s early (clock tolerance), so keep marks a little longer than a token lives. */
const MARK_TTL_MS = (ACCESS_TOKEN_TTL_S + 60) * 1000;

export interface RevocationStore {
  denyToken(jti: string, ttlMs?: number): Promise<void>;
  isTokenDenied(jti: string): Promise<boolean>;
  /** Every token issued before `ms` for this user is dead. */
  setNotBefore(userId: string, ms: number): Promise<void>;
  notBefore(userId: string): Promise<number>;
  markSessionLive(sessionId: string, ttlMs: number): Promise<void>;
  isSessionLive(sessionId: string): Promise<boolean>;
  killSession(sessionId: string): Promise<void>;
  /** One round of the three reads a request needs, issued together. */
  check(input: { jti: string; userId: string; sessionId: string }): Promise<{ denied: boolean; notBefore: number; live: boolean }>;
}

export function createRevocationStore(state: StateStore): RevocationStore {
  const deny = (jti: string) => `auth:deny:${jti}`;
  const nbf = (userId: string) => `auth:nbf:${userId}`;
  const live = (sid: string) => `auth:live:${sid}`;
  return {
    denyToken: (jti, ttlMs = MARK_TTL_MS) => state.set(deny(jti), '1', ttlMs),
    isTokenDenied: async (jti) => (await state.get(deny(jti))) !== null,
    setNotBefore: (userId, ms) => state.set(nbf(userId), String(ms), MARK_TTL_MS),
    notBefore: async (userId) => Number((await state.get(nbf(userId))) ?? 0),
    markSessionLive: (sid, ttlMs) => state.set(live(sid), '1', Math.max(1, ttlMs)),
    isSessionLive: async (sid) => (await state.get(live(sid))) !== null,
    killSession: (sid) => state.delete(live(sid)),
    async check({ jti, userId, sessionId }) {
      const [denied, notBefore, isLive] = await Promise.all([state.get(deny(jti)), state.get(nbf(userId)), state.get(live(sessionId))]);
      return { denied: denied !== null, notBefore: Number(notBefore ?? 0), live: isLive !== null };
    },
  };
}
