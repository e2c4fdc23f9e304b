/**
 * Bearer-token authentication on every request, on every replica: signature and claims
 * (access-tokens.ts), then the shared revocation state — `jti` denylist, per-user not-before,
 * session liveness (idle timeout) — in one round of reads. A liveness miss falls back to the
 * database, which stays the source of truth for revoked and expired sessions.
 */
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../lib/clock/index.js';
import { AppError } from '../../lib/errors/index.js';
import type { Principal } from '../../lib/auth/index.js';
import type { AccessTokenService } from './tokens/access-tokens.js';
import type { RevocationStore } from './sessions/revocation.js';
import type { SessionService } from './sessions/session-service.js';
import { ACCESS_COOKIE, checkCsrf, readCookies, type CsrfKeys } from './browser-session.js';

/** Activity is written at most this often per session (idle timeout precision). */
const TOUCH_INTERVAL_MS = 60_000;
const MAX_TOUCH_ENTRIES = 100_000;

export function createBearerAuthenticator(deps: {
  tokens: AccessTokenService; revocation: RevocationStore; sessions: SessionService; clock: Clock; csrf: CsrfKeys;
}) {
  const { tokens, revocation, sessions, clock } = deps;
  const lastTouch = new Map<string, number>();

  async function touch(sessionId: string): Promise<void> {
    const now = clock.now();
    if (now - (lastTouch.get(sessionId) ?? 0) < TOUCH_INTERVAL_MS) return;
    if (lastTouch.size >= MAX_TOUCH_ENTRIES) lastTouch.clear();
    lastTouch.set(sessionId, now);
    await sessions.touch(sessionId);
  }

  /** Verifies a bearer token into a Principal; throws AUTH_TOKEN_* codes. */
  async function principalFromToken(token: string): Promise<Principal> {
    const claims = await tokens.verify(token);
    const state = await revocation.check({ jti: claims.jti, userId: claims.sub, sessionId: claims.sid });
    if (state.denied || claims.iat * 1000 < state.notBefore) throw new AppError('AUTH_TOKEN_REVOKED', 'Access token revoked.');
    if (!state.live && !(await sessions.isActive(claims.sid))) throw new AppError('AUTH_TOKEN_REVOKED', 'Session ended.');
    await touch(claims.sid);
    return {
      kind: 'user', userId: claims.sub, roles: claims.roles, sessionId: claims.sid, tokenId: claims.jti,
      amr: claims.amr, authTime: claims.auth_time * 1000,
    };
  }

  async function authenticate(request: FastifyRequest): Promise<Principal | null> {
    const header = request.headers.authorization;
    if (header === undefined) {
      // Browser session: the access token rides in an HttpOnly cookie, so every state-changing
      // request must also prove it comes from our page (CSRF token bound to the session).
      const cookieToken = readCookies(request).get(ACCESS_COOKIE);
      if (!cookieToken) return null;
      // An expired or revoked cookie, or a missing CSRF token, must not break sign-in routes
      // that need no user: the request goes on unauthenticated, and routes that do need a
      // user answer with the recorded reason.
      let principal: Principal;
      try {
        principal = await principalFromToken(cookieToken);
        await checkCsrf(deps.csrf, request, principal.sessionId ?? '');
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        request.authFailure = error;
        return null;
      }
      return principal;
    }
    const match = /^Bearer ([A-Za-z0-9_.~+/-]+=*)$/.exec(header);
    if (!match?.[1]) throw new AppError('AUTH_TOKEN_INVALID', 'Authorization must be "Bearer <token>".');
    return principalFromToken(match[1]);
  }

  return { authenticate, principalFromToken };
}
