/**
 * Login orchestration: one MFA policy on every path (password → pending MFA → tokens; passkey
 * passwordless; refresh), brute-force gates before expensive work, and a security event for
 * every outcome. Returns values for expected outcomes; throws AppError for client errors.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock/index.js';
import { AppError } from '../../lib/errors/index.js';
import type { SecurityEventBus } from '../../lib/events/index.js';
import type { Principal, Role } from '../../lib/auth/index.js';
import { checkPasswordPolicy } from './passwords/policy.js';
import type { PasswordHasher } from './passwords/hasher.js';
import { normaliseEmail, type User, type UserRepository } from './accounts/user-repository.js';
import type { AccessTokenService } from './tokens/access-tokens.js';
import { ACCESS_TOKEN_TTL_S } from './tokens/access-tokens.js';
import type { RequestContext, SessionService } from './sessions/session-service.js';
import type { RevocationStore } from './sessions/revocation.js';
import type { BruteForceGuard } from './brute-force.js';
import type { PendingLoginStore } from './pending-logins.js';
import { AMR_OF, type MfaMethod, type MfaPort } from './mfa-port.js';

export const PRIVILEGED_ROLES: readonly Role[] = ['admin', 'security', 'compliance'];

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export type LoginResult =
  | { kind: 'tokens'; tokens: TokenPair; userId: string }
  | { kind: 'mfa'; mfaToken: string; methods: MfaMethod[] }
  | { kind: 'enroll'; enrollmentToken: string };

export interface AuthServiceDeps {
  users: UserRepository;
  hasher: PasswordHasher;
  tokens: AccessTokenService;
  sessions: SessionService;
  revocation: RevocationStore;
  guard: BruteForceGuard;
  pending: PendingLoginStore;
  mfa: MfaPort;
  events: SecurityEventBus;
  clock: Clock;
  /**
   * Keyed blind index (the FieldProtector's HMAC) for the pseudonymous identifiers detection
   * needs: the account key of a failed login (also for unknown emails) and the device
   * fingerprint of a login. Without it the events carry neither.
   */
  pseudonyms?: { blindIndex(value: string, purpose: string): Promise<string> };
}

/** Blind-index purposes of the pseudonyms put in login events for detection (docs/detection.md). */
export const ACCOUNT_KEY_PURPOSE = 'detection.account';
export const DEVICE_PURPOSE = 'detection.device';

/** Brute-force counter key for an email, the same whether or not the account exists. */
function accountKeyForEmail(email: string): string {
  return `email:${createHash('sha256').update(normaliseEmail(email)).digest('base64url')}`;
}

export function createAuthService(deps: AuthServiceDeps) {
  const { users, hasher, tokens, sessions, revocation, guard, pending, mfa, events, clock, pseudonyms } = deps;

  /** The same key whether or not the account exists, so stuffing detection counts unknown emails too. */
  const accountKeyOf = async (email: string) => (pseudonyms ? { accountKey: await pseudonyms.blindIndex(normaliseEmail(email), ACCOUNT_KEY_PURPOSE) } : {});
  /** A keyed fingerprint of the User-Agent: lets detection spot a new device without keeping the raw header. */
  const deviceOf = async (ctx: RequestContext) => (pseudonyms && ctx.userAgent ? { device: await pseudonyms.blindIndex(ctx.userAgent, DEVICE_PURPOSE) } : {});

  function emit(type: string, outcome: 'success' | 'failure' | 'denied' | 'info', actor: string, ctx: RequestContext, details: Record<string, unknown> = {}, target: string | null = null) {
    events.emit({ type, actor, target, outcome, ip: ctx.ip, requestId: ctx.requestId, details });
  }

  function throttled(verdict: { scope: 'account' | 'ip'; retryAfterMs: number }): AppError {
    const seconds = String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000)));
    return verdict.scope === 'ip'
      ? new AppError('RATE_LIMITED', 'Too many failed attempts from this address.', { headers: { 'retry-after': seconds } })
      : new AppError('AUTH_ACCOUNT_LOCKED', 'Too many failed attempts; the account is temporarily locked.', { headers: { 'retry-after': seconds } });
  }

  async function gate(accountKey: string, ctx: RequestContext): Promise<void> {
    const verdict = await guard.check(accountKey, ctx.ip);
    if (!verdict.allowed) {
      emit('auth.throttled', 'denied', accountKey, ctx, { scope: verdict.scope, retryAfterMs: verdict.retryAfterMs });
      throw throttled(verdict);
    }
  }

  async function fail(accountKey: string, userId: string | null, ctx: RequestContext, type: string, details: Record<string, unknown> = {}): Promise<void> {
    const outcome = await guard.recordFailure(accountKey, ctx.ip);
    emit(type, 'failure', userId ?? 'anonymous', ctx, { ...details, failures: outcome.accountFailures }, userId);
    if (outcome.accountLockedMs && userId) {
      // Owner notification: the audit/alerting pipeline turns this into an email/alert.
      emit('auth.account.locked', 'info', 'system', ctx, { lockMs: outcome.accountLockedMs, failures: outcome.accountFailures, notifyOwner: true }, userId);
    }
  }

  /**
   * Factors usable at login. Email/SMS codes are offered only to accounts that enrolled a
   * strong factor (TOTP or passkey): they are a fallback, and must not turn every account into
   * an MFA account nor let an attacker with the password pick the weakest channel on its own.
   */
  async function mfaMethodsOf(userId: string): Promise<MfaMethod[]> {
    const enrolled = await mfa.methodsFor(userId);
    if (enrolled.length === 0) return [];
    return mfa.methodsFor(userId, { email: true, phone: (await users.phone(userId)) !== null });
  }

  async function issue(session: { sessionId: string; userId: string; amr: readonly string[]; authTimeMs: number; refreshToken: string }): Promise<TokenPair> {
    const user = await users.findById(session.userId);
    if (!user || user.status !== 'active') throw new AppError('AUTH_TOKEN_REVOKED', 'Account is locked.');
    const { token } = await tokens.issue({ userId: user.id, sessionId: session.sessionId, amr: session.amr, authTimeMs: session.authTimeMs, roles: user.roles });
    return { accessToken: token, refreshToken: session.refreshToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_TTL_S };
  }

  async function startSession(user: User, amr: readonly string[], ctx: RequestContext): Promise<TokenPair> {
    const session = await sessions.start({ userId: user.id, amr, authTimeMs: clock.now() }, ctx);
    emit('auth.login', 'success', user.id, ctx, { amr, sessionId: session.sessionId, ...(await deviceOf(ctx)) }, user.id);
    return issue(session);
  }

  return {
    async register(email: string, password: string, ctx: RequestContext): Promise<{ userId: string }> {
      const policy = checkPasswordPolicy(password, email);
      if (!policy.ok) throw new AppError('PASSWORD_POLICY', `Password rejected: ${policy.reason.replace('_', ' ')}.`, { extensions: { reason: policy.reason } });
      // Hash first, always: a taken email costs the same time as a fresh one.
      const passwordHash = await hasher.hash(password);
      const user = await users.create({ email, passwordHash, roles: ['trader'] });
      if (!user) {
        emit('auth.register', 'denied', 'anonymous', ctx, { reason: 'email_taken' });
        // Same status and shape as success; the id is random and leads nowhere.
        return { userId: randomUUID() };
      }
      emit('auth.register', 'success', user.id, ctx, {}, user.id);
      return { userId: user.id };
    },

    async login(email: string, password: string, ctx: RequestContext): Promise<LoginResult> {
      const emailKey = accountKeyForEmail(email);
      await gate(emailKey, ctx);
      const user = await users.findByEmail(email);
      if (!user) {
        await hasher.dummyVerify(password);
        await fail(emailKey, null, ctx, 'auth.login', { reason: 'bad_credentials', ...(await accountKeyOf(email)) });
        throw new AppError('AUTH_INVALID_CREDENTIALS', 'Email or password is wrong.');
      }
      const passwordOk = await hasher.verify(user.passwordHash, password);
      if (!passwordOk) {
        await fail(emailKey, user.id, ctx, 'auth.login', { reason: 'bad_credentials', ...(await accountKeyOf(email)) });
        throw new AppError('AUTH_INVALID_CREDENTIALS', 'Email or password is wrong.');
      }
      if (user.status !== 'active') {
        emit('auth.login', 'denied', user.id, ctx, { reason: 'account_locked' }, user.id);
        throw new AppError('AUTH_ACCOUNT_LOCKED', 'The account is locked; contact support.');
      }
      await guard.recordSuccess(emailKey);
      if (hasher.needsRehash(user.passwordHash)) await users.updatePassword(user.id, await hasher.hash(password));

      const methods = await mfaMethodsOf(user.id);
      if (methods.length > 0) {
        const mfaToken = await pending.create({ purpose: 'mfa', userId: user.id, amr: ['pwd'], createdAt: clock.now() });
        emit('auth.login.mfa_required', 'info', user.id, ctx, { methods }, user.id);
        return { kind: 'mfa', mfaToken, methods };
      }
      if (user.roles.some((r) => PRIVILEGED_ROLES.includes(r))) {
        const enrollmentToken = await pending.create({ purpose: 'enroll', userId: user.id, amr: ['pwd'], createdAt: clock.now() });
        emit('auth.login.enrollment_required', 'info', user.id, ctx, {}, user.id);
        return { kind: 'enroll', enrollmentToken };
      }
      return { kind: 'tokens', tokens: await startSession(user, ['pwd'], ctx), userId: user.id };
    },

    /** Sends an email/SMS code for a pending login. */
    async sendOtp(mfaToken: string, channel: 'email' | 'sms', ctx: RequestContext): Promise<void> {
      const login = await pending.peek(mfaToken, 'mfa');
      if (!login) throw new AppError('AUTH_TOKEN_INVALID', 'mfaToken invalid or expired.');
      const methods = await mfaMethodsOf(login.userId);
      if (!methods.includes(channel)) throw new AppError('VALIDATION_FAILED', `The ${channel} method is not enrolled.`);
      if (channel === 'email') {
        await mfa.email.send(login.userId, login.id, await users.email({ id: login.userId }));
      } else {
        const phone = await users.phone(login.userId);
        if (!phone) throw new AppError('VALIDATION_FAILED', 'No phone number on file.');
        await mfa.sms.send(login.userId, login.id, phone);
      }
      emit('auth.mfa.code_sent', 'info', login.userId, ctx, { channel }, login.userId);
    },

    async verifyMfa(mfaToken: string, method: MfaMethod, proof: { code?: string; assertion?: unknown }, ctx: RequestContext): Promise<TokenPair> {
      const login = await pending.peek(mfaToken, 'mfa');
      if (!login) throw new AppError('AUTH_TOKEN_INVALID', 'mfaToken invalid or expired.');
      const accountKey = `user:${login.userId}`;
      await gate(accountKey, ctx);
      const methods = await mfaMethodsOf(login.userId);
      if (!methods.includes(method)) throw new AppError('AUTH_MFA_INVALID', 'That method is not enrolled for this account.');
      let ok = false;
      if (method === 'webauthn') {
        const verdict = await mfa.webauthn.verifyAuthentication(login.id, proof.assertion);
        ok = verdict.ok && verdict.userId === login.userId && verdict.userVerified;
      } else {
        const code = proof.code ?? '';
        const verdict = method === 'totp' ? await mfa.totp.verify(login.userId, code)
          : method === 'backup_code' ? await mfa.backupCodes.verify(login.userId, code)
            : method === 'email' ? await mfa.email.verify(login.userId, login.id, code)
              : await mfa.sms.verify(login.userId, login.id, code);
        ok = verdict.ok;
      }
      if (!ok) {
        await fail(accountKey, login.userId, ctx, 'auth.mfa.verify', { method });
        throw new AppError('AUTH_MFA_INVALID', 'The code or assertion is not valid.');
      }
      // Single use: of two concurrent verifications of one mfaToken only one gets a session.
      const consumed = await pending.consume(mfaToken, 'mfa');
      if (!consumed) throw new AppError('AUTH_TOKEN_INVALID', 'mfaToken already used.');
      await guard.recordSuccess(accountKey);
      const user = await users.findById(login.userId);
      if (!user || user.status !== 'active') throw new AppError('AUTH_ACCOUNT_LOCKED', 'The account is locked; contact support.');
      return startSession(user, [...new Set([...login.amr, ...AMR_OF[method], 'mfa'])], ctx);
    },

    /** Passwordless passkey login; a user-verified passkey counts as two factors. */
    async loginWithPasskey(challengeKey: string, assertion: unknown, ctx: RequestContext): Promise<TokenPair> {
      const verdict = await mfa.webauthn.verifyAuthentication(challengeKey, assertion);
      if (!verdict.ok || !verdict.userVerified) {
        emit('auth.login.passkey', 'failure', 'anonymous', ctx, { reason: verdict.ok ? 'no_user_verification' : verdict.reason });
        throw new AppError('AUTH_MFA_INVALID', 'Passkey assertion not valid.');
      }
      const user = await users.findById(verdict.userId);
      if (!user || user.status !== 'active') throw new AppError('AUTH_ACCOUNT_LOCKED', 'The account is locked; contact support.');
      return startSession(user, ['hwk', 'user', 'mfa'], ctx);
    },

    /** Completes a privileged user's forced enrollment: confirm TOTP with the enrollmentToken. */
    async completeEnrollment(enrollmentToken: string, code: string, ctx: RequestContext): Promise<{ backupCodes: string[]; tokens: TokenPair }> {
      const login = await pending.peek(enrollmentToken, 'enroll');
      if (!login) throw new AppError('AUTH_TOKEN_INVALID', 'enrollmentToken invalid or expired.');
      const result = await mfa.totp.confirmEnrollment(login.userId, code);
      if (!result.ok) {
        await fail(`user:${login.userId}`, login.userId, ctx, 'mfa.totp.confirm');
        throw new AppError('AUTH_MFA_INVALID', 'The code is not valid.');
      }
      const consumed = await pending.consume(enrollmentToken, 'enroll');
      if (!consumed) throw new AppError('AUTH_TOKEN_INVALID', 'enrollmentToken already used.');
      const user = await users.findById(login.userId);
      if (!user) throw new AppError('AUTH_TOKEN_INVALID', 'enrollmentToken invalid.');
      return { backupCodes: result.backupCodes, tokens: await startSession(user, ['pwd', 'otp', 'mfa'], ctx) };
    },

    /** Resolves an enrollment token to its user without consuming it (TOTP enrollment start). */
    async enrollmentUser(enrollmentToken: string): Promise<string> {
      const login = await pending.peek(enrollmentToken, 'enroll');
      if (!login) throw new AppError('AUTH_TOKEN_INVALID', 'enrollmentToken invalid or expired.');
      return login.userId;
    },

    async refresh(refreshToken: string, ctx: RequestContext): Promise<TokenPair> {
      const session = await sessions.rotate(refreshToken, ctx);
      emit('auth.refresh', 'success', session.userId, ctx, { sessionId: session.sessionId }, session.userId);
      return issue(session);
    },

    async logout(principal: Principal, ctx: RequestContext): Promise<void> {
      if (principal.sessionId) await sessions.revoke(principal.sessionId, 'logout');
      if (principal.tokenId) await revocation.denyToken(principal.tokenId);
      emit('auth.logout', 'success', principal.userId, ctx, { sessionId: principal.sessionId }, principal.userId);
    },

    async changePassword(principal: Principal, currentPassword: string, newPassword: string, ctx: RequestContext): Promise<void> {
      const accountKey = `user:${principal.userId}`;
      await gate(accountKey, ctx);
      const user = await users.findById(principal.userId);
      if (!user) throw new AppError('UNAUTHENTICATED');
      if (!(await hasher.verify(user.passwordHash, currentPassword))) {
        await fail(accountKey, user.id, ctx, 'auth.password.change');
        throw new AppError('AUTH_INVALID_CREDENTIALS', 'Current password is wrong.');
      }
      const policy = checkPasswordPolicy(newPassword, await users.email(user));
      if (!policy.ok) throw new AppError('PASSWORD_POLICY', `Password rejected: ${policy.reason.replace('_', ' ')}.`, { extensions: { reason: policy.reason } });
      await users.updatePassword(user.id, await hasher.hash(newPassword));
      await revokeEverything(user.id, 'password_change');
      emit('auth.password.changed', 'success', user.id, ctx, {}, user.id);
    },

    /** Admin lock or containment: every session and token of the user dies on every replica. */
    async lockAccount(userId: string, actor: string, ctx: RequestContext): Promise<void> {
      await users.setStatus(userId, 'locked');
      await revokeEverything(userId, 'account_locked');
      emit('auth.account.admin_locked', 'success', actor, ctx, {}, userId);
    },

    async unlockAccount(userId: string, actor: string, ctx: RequestContext): Promise<void> {
      await users.setStatus(userId, 'active');
      emit('auth.account.admin_unlocked', 'success', actor, ctx, {}, userId);
    },

    async revokeSessions(userId: string, reason: string): Promise<number> {
      return revokeEverything(userId, reason);
    },
  };

  async function revokeEverything(userId: string, reason: string): Promise<number> {
    // Not-before in whole seconds: tokens carry `iat` in seconds, so a token issued in this
    // very second is also dead (the caller gets a new session afterwards if appropriate).
    await revocation.setNotBefore(userId, Math.floor(clock.now() / 1000) * 1000 + 1000);
    return sessions.revokeAllForUser(userId, reason);
  }
}

export type AuthService = ReturnType<typeof createAuthService>;
