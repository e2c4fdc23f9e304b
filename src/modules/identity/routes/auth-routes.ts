/** `/v1/auth/*` (SPEC §3): register, login, MFA verification, passkey login, refresh, logout. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { AppError } from '../../../lib/errors/index.js';
import { requireUser } from '../../../server/auth.js';
import type { AuthService, TokenPair } from '../auth-service.js';
import {
  ACCESS_COOKIE, REFRESH_COOKIE, checkCsrf, clearCookies, readCookies, sendAsCookies, wantsCookies, type CsrfKeys,
} from '../browser-session.js';
import type { SessionService } from '../sessions/session-service.js';
import type { MfaMethod, MfaPort } from '../mfa-port.js';
import { createPendingChallengeKey } from '../passkey-challenges.js';
import { body, email, mfaMethod, opaqueToken, otpCode, password, tokenPair, webauthnJson } from '../schemas.js';
import { contextOf, principalOf } from './context.js';

const loginResponse = {
  type: 'object', additionalProperties: false,
  properties: {
    ...tokenPair.properties,
    mfaRequired: { type: 'boolean' }, mfaToken: { type: 'string' }, methods: { type: 'array', items: { type: 'string' } },
    mfaEnrollmentRequired: { type: 'boolean' }, enrollmentToken: { type: 'string' },
  },
} as const;

export interface AuthRouteDeps {
  auth: AuthService;
  mfa: MfaPort;
  pendingPeek: (token: string) => Promise<{ id: string; userId: string } | null>;
  csrf: CsrfKeys;
  sessions: Pick<SessionService, 'sessionOfRefreshToken'>;
}

/** Refresh cookies live as long as the longest session (absolute timeout). */
const REFRESH_COOKIE_MAX_AGE_S = 12 * 3600;

export function authRoutes(deps: AuthRouteDeps) {
  const { auth, mfa } = deps;
  /** Bearer clients get the pair; browser clients get cookies and a CSRF token. */
  const deliver = async (request: FastifyRequest, reply: FastifyReply, tokens: TokenPair) => {
    if (!wantsCookies(request)) return tokens;
    const sid = decodeJwt(tokens.accessToken).sid as string;
    return sendAsCookies(reply, deps.csrf, tokens, sid, REFRESH_COOKIE_MAX_AGE_S);
  };
  return (app: FastifyInstance) => {
    const tags = ['auth'];
    app.post('/v1/auth/register', {
      config: { rateLimit: 'auth' },
      schema: { tags, body: body({ email, password }, ['email', 'password']), response: { 201: body({ userId: { type: 'string' } }, ['userId']) } },
    }, async (request, reply) => {
      const { email: e, password: p } = request.body as { email: string; password: string };
      return reply.code(201).send(await auth.register(e, p, contextOf(request)));
    });

    app.post('/v1/auth/login', {
      config: { rateLimit: 'auth' },
      schema: { tags, body: body({ email, password }, ['email', 'password']), response: { 200: loginResponse } },
    }, async (request, reply) => {
      const { email: e, password: p } = request.body as { email: string; password: string };
      const result = await auth.login(e, p, contextOf(request));
      if (result.kind === 'tokens') return deliver(request, reply, result.tokens);
      if (result.kind === 'mfa') return { mfaRequired: true, mfaToken: result.mfaToken, methods: result.methods };
      return { mfaEnrollmentRequired: true, enrollmentToken: result.enrollmentToken };
    });

    app.post('/v1/auth/mfa/verify', {
      config: { rateLimit: 'auth' },
      schema: {
        tags,
        body: body({ mfaToken: opaqueToken, method: mfaMethod, code: otpCode, assertion: webauthnJson }, ['mfaToken', 'method']),
        response: { 200: tokenPair },
      },
    }, async (request, reply) => {
      const b = request.body as { mfaToken: string; method: MfaMethod; code?: string; assertion?: unknown };
      return deliver(request, reply, await auth.verifyMfa(b.mfaToken, b.method, { ...(b.code ? { code: b.code } : {}), ...(b.assertion ? { assertion: b.assertion } : {}) }, contextOf(request)));
    });

    for (const channel of ['email', 'sms'] as const) {
      app.post(`/v1/auth/mfa/${channel}/send`, {
        config: { rateLimit: 'auth' },
        schema: { tags, body: body({ mfaToken: opaqueToken }, ['mfaToken']), response: { 202: body({ sent: { type: 'boolean' } }, ['sent']) } },
      }, async (request, reply) => {
        await auth.sendOtp((request.body as { mfaToken: string }).mfaToken, channel, contextOf(request));
        return reply.code(202).send({ sent: true });
      });
    }

    // WebAuthn as second factor: options bound to the pending login.
    app.post('/v1/auth/mfa/webauthn/options', {
      config: { rateLimit: 'auth' },
      schema: { tags, body: body({ mfaToken: opaqueToken }, ['mfaToken']), response: { 200: { type: 'object', additionalProperties: true } } },
    }, async (request) => {
      const login = await deps.pendingPeek((request.body as { mfaToken: string }).mfaToken);
      if (!login) throw new AppError('AUTH_TOKEN_INVALID', 'mfaToken invalid or expired.');
      return mfa.webauthn.authenticationOptions(login.id, login.userId);
    });

    // Passwordless passkey login (discoverable credential): options, then verify.
    app.post('/v1/auth/passkey/options', {
      config: { rateLimit: 'auth' },
      schema: { tags, body: body({}, []), response: { 200: body({ challengeKey: { type: 'string' }, options: { type: 'object', additionalProperties: true } }, ['challengeKey', 'options']) } },
    }, async () => {
      const challengeKey = createPendingChallengeKey();
      return { challengeKey, options: await mfa.webauthn.authenticationOptions(challengeKey) };
    });

    app.post('/v1/auth/passkey/verify', {
      config: { rateLimit: 'auth' },
      schema: { tags, body: body({ challengeKey: opaqueToken, assertion: webauthnJson }, ['challengeKey', 'assertion']), response: { 200: tokenPair } },
    }, async (request, reply) => {
      const b = request.body as { challengeKey: string; assertion: unknown };
      return deliver(request, reply, await auth.loginWithPasskey(b.challengeKey, b.assertion, contextOf(request)));
    });

    app.post('/v1/auth/refresh', {
      config: { rateLimit: 'auth' },
      schema: { tags, body: body({ refreshToken: { type: 'string', minLength: 10, maxLength: 200 } }, []), response: { 200: tokenPair } },
    }, async (request, reply) => {
      const fromBody = (request.body as { refreshToken?: string } | undefined)?.refreshToken;
      if (fromBody) return auth.refresh(fromBody, contextOf(request));
      // Browser refresh: the token is in the cookie, so the request must carry the session's
      // CSRF token, checked before anything rotates.
      const fromCookie = readCookies(request).get(REFRESH_COOKIE);
      if (!fromCookie) throw new AppError('VALIDATION_FAILED', 'body/refreshToken: required field missing');
      const sid = await deps.sessions.sessionOfRefreshToken(fromCookie);
      if (!sid) throw new AppError('AUTH_TOKEN_INVALID', 'Refresh token invalid.');
      await checkCsrf(deps.csrf, request, sid);
      return deliver(request, reply, await auth.refresh(fromCookie, contextOf(request)));
    });

    app.post('/v1/auth/logout', {
      preHandler: requireUser(),
      schema: { tags, security: [{ bearer: [] }], response: { 204: { type: 'null' } } },
    }, async (request, reply) => {
      await auth.logout(principalOf(request), contextOf(request));
      if (readCookies(request).has(ACCESS_COOKIE)) clearCookies(reply);
      return reply.code(204).send();
    });
  };
}
