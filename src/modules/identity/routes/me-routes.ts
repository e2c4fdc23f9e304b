/** `/v1/me/*` (SPEC §3): profile, sessions, password, MFA enrollment, step-up; and the JWKS. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../../lib/clock/index.js';
import { AppError } from '../../../lib/errors/index.js';
import { hasRecentMfa, requireUser } from '../../../server/auth.js';
import type { AuthService } from '../auth-service.js';
import type { UserRepository } from '../accounts/user-repository.js';
import type { SessionService } from '../sessions/session-service.js';
import type { SigningKeyRing } from '../tokens/signing-keys.js';
import type { AccessTokenService } from '../tokens/access-tokens.js';
import { ACCESS_TOKEN_TTL_S } from '../tokens/access-tokens.js';
import { AMR_OF, type MfaMethod, type MfaPort } from '../mfa-port.js';
import { body, mfaMethod, opaqueToken, otpCode, password, tokenPair, webauthnJson } from '../schemas.js';
import { contextOf, principalOf } from './context.js';

export interface MeRouteDeps {
  auth: AuthService;
  users: UserRepository;
  sessions: SessionService;
  mfa: MfaPort;
  tokens: AccessTokenService;
  keys: SigningKeyRing;
  clock: Clock;
}

const security = [{ bearer: [] }];
const sessionSchema = {
  type: 'object', additionalProperties: false, required: ['id', 'createdAt', 'lastSeenAt', 'expiresAt', 'amr', 'current'],
  properties: {
    id: { type: 'string' }, createdAt: { type: 'string' }, lastSeenAt: { type: 'string' }, expiresAt: { type: 'string' },
    amr: { type: 'array', items: { type: 'string' } }, ip: { type: ['string', 'null'] }, userAgent: { type: ['string', 'null'] },
    current: { type: 'boolean' },
  },
} as const;

export function meRoutes(deps: MeRouteDeps) {
  const { auth, users, sessions, mfa, tokens, keys, clock } = deps;

  /** Who is enrolling: a signed-in user (step-up if MFA already exists) or an enrollmentToken. */
  async function enrollingUser(request: FastifyRequest, enrollmentToken: string | undefined): Promise<string> {
    if (enrollmentToken) return auth.enrollmentUser(enrollmentToken);
    const principal = principalOf(request);
    const methods = await mfa.methodsFor(principal.userId);
    if (methods.length > 0 && !hasRecentMfa(principal, clock.now())) {
      throw new AppError('AUTH_STEP_UP_REQUIRED', 'Changing MFA needs a second factor within the last 5 minutes.');
    }
    return principal.userId;
  }

  return (app: FastifyInstance) => {
    const tags = ['me'];
    app.get('/.well-known/jwks.json', {
      schema: { tags: ['auth'], response: { 200: { type: 'object', additionalProperties: false, required: ['keys'], properties: { keys: { type: 'array', items: { type: 'object', additionalProperties: true } } } } } },
    }, async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(await keys.jwks()));

    app.get('/v1/me', {
      preHandler: requireUser(),
      schema: {
        tags, security,
        response: { 200: body({ userId: { type: 'string' }, email: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, mfaMethods: { type: 'array', items: { type: 'string' } } }, ['userId', 'email', 'roles', 'mfaMethods']) },
      },
    }, async (request) => {
      const principal = principalOf(request);
      const user = await users.findById(principal.userId);
      if (!user) throw new AppError('UNAUTHENTICATED');
      return { userId: user.id, email: await users.email(user), roles: user.roles, mfaMethods: await mfa.methodsFor(user.id) };
    });

    app.get('/v1/me/sessions', {
      preHandler: requireUser(),
      schema: { tags, security, response: { 200: { type: 'array', items: sessionSchema } } },
    }, async (request) => {
      const principal = principalOf(request);
      const list = await sessions.list(principal.userId);
      const iso = (ms: number) => new Date(ms).toISOString();
      return list.map((s) => ({ ...s, createdAt: iso(s.createdAt), lastSeenAt: iso(s.lastSeenAt), expiresAt: iso(s.expiresAt), current: s.id === principal.sessionId }));
    });

    app.delete('/v1/me/sessions/:id', {
      preHandler: requireUser(),
      schema: { tags, security, params: body({ id: { type: 'string', format: 'uuid' } }, ['id']), response: { 204: { type: 'null' } } },
    }, async (request, reply) => {
      const principal = principalOf(request);
      const { id } = request.params as { id: string };
      // Someone else's session answers exactly like a missing one (SPEC §2).
      if ((await sessions.ownerOf(id)) !== principal.userId) throw new AppError('NOT_FOUND', 'No such session.');
      await sessions.revoke(id, 'user_revoked');
      return reply.code(204).send();
    });

    app.post('/v1/me/password', {
      preHandler: requireUser(),
      config: { rateLimit: 'auth' },
      schema: { tags, security, body: body({ currentPassword: password, newPassword: password }, ['currentPassword', 'newPassword']), response: { 204: { type: 'null' } } },
    }, async (request, reply) => {
      const b = request.body as { currentPassword: string; newPassword: string };
      await auth.changePassword(principalOf(request), b.currentPassword, b.newPassword, contextOf(request));
      return reply.code(204).send();
    });

    app.post('/v1/me/mfa/totp', {
      schema: {
        tags, security, body: body({ enrollmentToken: opaqueToken }, []),
        response: { 200: body({ otpauthUri: { type: 'string' }, secret: { type: 'string' } }, ['otpauthUri', 'secret']) },
      },
    }, async (request) => {
      const userId = await enrollingUser(request, (request.body as { enrollmentToken?: string } | undefined)?.enrollmentToken);
      const user = await users.findById(userId);
      if (!user) throw new AppError('UNAUTHENTICATED');
      return mfa.totp.beginEnrollment(userId, await users.email(user));
    });

    app.post('/v1/me/mfa/totp/confirm', {
      config: { rateLimit: 'auth' },
      schema: {
        tags, security, body: body({ code: otpCode, enrollmentToken: opaqueToken }, ['code']),
        response: { 200: { type: 'object', additionalProperties: false, required: ['backupCodes'], properties: { backupCodes: { type: 'array', items: { type: 'string' } }, ...tokenPair.properties } } },
      },
    }, async (request) => {
      const b = request.body as { code: string; enrollmentToken?: string };
      if (b.enrollmentToken) {
        const { backupCodes, tokens: pair } = await auth.completeEnrollment(b.enrollmentToken, b.code, contextOf(request));
        return { backupCodes, ...pair };
      }
      const userId = await enrollingUser(request, undefined);
      const result = await mfa.totp.confirmEnrollment(userId, b.code);
      if (!result.ok) throw new AppError('AUTH_MFA_INVALID', 'The code is not valid.');
      return { backupCodes: result.backupCodes };
    });

    app.post('/v1/me/mfa/webauthn/options', {
      preHandler: requireUser(),
      schema: { tags, security, body: body({}, []), response: { 200: { type: 'object', additionalProperties: true } } },
    }, async (request) => {
      const userId = await enrollingUser(request, undefined);
      const user = await users.findById(userId);
      if (!user) throw new AppError('UNAUTHENTICATED');
      return mfa.webauthn.registrationOptions({ id: user.id, name: await users.email(user) });
    });

    app.post('/v1/me/mfa/webauthn/verify', {
      preHandler: requireUser(),
      schema: { tags, security, body: body({ response: webauthnJson }, ['response']), response: { 201: body({ credentialId: { type: 'string' } }, ['credentialId']) } },
    }, async (request, reply) => {
      const userId = await enrollingUser(request, undefined);
      const verdict = await mfa.webauthn.verifyRegistration(userId, (request.body as { response: unknown }).response);
      if (!verdict.ok || !verdict.credentialId) throw new AppError('AUTH_MFA_INVALID', 'Passkey registration not valid.');
      return reply.code(201).send({ credentialId: verdict.credentialId });
    });

    // Step-up: prove a second factor again; the session's auth_time/amr and a new access token
    // record it. WebAuthn step-up uses the session id as the challenge binding.
    app.post('/v1/me/step-up/webauthn/options', {
      preHandler: requireUser(),
      schema: { tags, security, body: body({}, []), response: { 200: { type: 'object', additionalProperties: true } } },
    }, async (request) => {
      const principal = principalOf(request);
      return mfa.webauthn.authenticationOptions(`stepup:${principal.sessionId}`, principal.userId);
    });

    app.post('/v1/me/step-up', {
      preHandler: requireUser(),
      config: { rateLimit: 'auth' },
      schema: {
        tags, security, body: body({ method: mfaMethod, code: otpCode, assertion: webauthnJson }, ['method']),
        response: { 200: body({ accessToken: { type: 'string' }, tokenType: { type: 'string' }, expiresIn: { type: 'integer' } }, ['accessToken', 'tokenType', 'expiresIn']) },
      },
    }, async (request) => {
      const principal = principalOf(request);
      const b = request.body as { method: MfaMethod; code?: string; assertion?: unknown };
      const methods = await mfa.methodsFor(principal.userId);
      if (!methods.includes(b.method) || b.method === 'email' || b.method === 'sms') {
        throw new AppError('AUTH_MFA_INVALID', 'Use an enrolled TOTP, backup code or passkey for step-up.');
      }
      let ok: boolean;
      if (b.method === 'webauthn') {
        const v = await mfa.webauthn.verifyAuthentication(`stepup:${principal.sessionId}`, b.assertion);
        ok = v.ok && v.userId === principal.userId && v.userVerified;
      } else {
        const v = b.method === 'totp' ? await mfa.totp.verify(principal.userId, b.code ?? '') : await mfa.backupCodes.verify(principal.userId, b.code ?? '');
        ok = v.ok;
      }
      if (!ok) {
        request.log.info({ userId: principal.userId, method: b.method }, 'step-up failed');
        throw new AppError('AUTH_MFA_INVALID', 'The code or assertion is not valid.');
      }
      const now = clock.now();
      const amr = [...new Set([...principal.amr, ...AMR_OF[b.method], 'mfa'])];
      await sessions.recordStepUp(principal.sessionId ?? '', amr, now);
      const { token } = await tokens.issue({ userId: principal.userId, sessionId: principal.sessionId ?? '', amr, authTimeMs: now, roles: principal.roles });
      return { accessToken: token, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_TTL_S };
    });
  };
}
