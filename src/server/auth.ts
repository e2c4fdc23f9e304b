/**
 * The HTTP side of authorisation. An `Authenticator` (supplied by the identity module; tests may
 * pass their own) turns a request into a Principal; route modules guard themselves with
 * `requireUser()` or `requirePermission(name)` as a preHandler. Every admin route names exactly
 * one permission (SPEC §3).
 */
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { AppError } from '../lib/errors/index.js';
import './route-config.js';
import { hasPermission, type Permission, type Principal } from '../lib/auth/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authenticator when credentials were presented and are valid; else null. */
    principal: Principal | null;
    /**
     * Why credentials that were presented did not authenticate, when that must not fail the
     * request outright: a browser cookie without its CSRF token on a route that needs no
     * authentication (sign-in with a stale cookie). Guards answer with it instead of UNAUTHENTICATED.
     */
    authFailure: AppError | null;
  }
}

/** Returns the principal, null when no credentials were presented, or throws an AppError. */
export type Authenticator = (request: FastifyRequest) => Promise<Principal | null>;

/**
 * Several credential kinds (bearer JWT, RFC 9421 signed API-key requests): each authenticator
 * returns null when its credentials are absent; the first that recognises the request decides.
 */
export function chainAuthenticators(authenticators: readonly Authenticator[]): Authenticator | undefined {
  if (authenticators.length === 0) return undefined;
  if (authenticators.length === 1) return authenticators[0];
  return async (request) => {
    for (const authenticate of authenticators) {
      const principal = await authenticate(request);
      if (principal) return principal;
    }
    return null;
  };
}

export function registerAuthentication(app: FastifyInstance, authenticate: Authenticator | undefined): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('authFailure', null);
  if (!authenticate) return;
  app.addHook('preHandler', async (request) => {
    request.principal = await authenticate(request);
  });
}

export function requireUser(): preHandlerAsyncHookHandler {
  return async (request) => {
    if (!request.principal) throw request.authFailure ?? new AppError('UNAUTHENTICATED', 'Bearer token required.');
  };
}

export function requirePermission(permission: Permission): preHandlerAsyncHookHandler {
  return async (request) => {
    const principal = request.principal;
    if (!principal) throw request.authFailure ?? new AppError('UNAUTHENTICATED', 'Bearer token required.');
    if (!hasPermission(principal, permission)) throw new AppError('FORBIDDEN', `Requires the ${permission} permission.`);
  };
}

/** SPEC §3: sensitive actions need a multi-factor authentication within the last 5 minutes. */
export const STEP_UP_WINDOW_MS = 5 * 60_000;

/** RFC 8176 method references that prove a factor beyond the password. */
const SECOND_FACTORS = ['otp', 'sms', 'hwk', 'swk', 'fpt', 'face'];

/**
 * A multi-factor authentication (RFC 8176 `mfa`, a user-verified passkey `hwk`+`user`, or a
 * password plus a second factor) no older than the step-up window.
 */
export function hasRecentMfa(principal: Principal, now: number): boolean {
  const { amr } = principal;
  const multiFactor = amr.includes('mfa') || (amr.includes('hwk') && amr.includes('user'))
    || (amr.includes('pwd') && amr.some((m) => SECOND_FACTORS.includes(m)));
  return principal.kind === 'user' && multiFactor && now - principal.authTime <= STEP_UP_WINDOW_MS;
}

export function requireStepUp(now: () => number = Date.now): preHandlerAsyncHookHandler {
  return async (request) => {
    const principal = request.principal;
    if (!principal) throw request.authFailure ?? new AppError('UNAUTHENTICATED', 'Bearer token required.');
    if (!hasRecentMfa(principal, now())) {
      throw new AppError('AUTH_STEP_UP_REQUIRED', 'Verify a second factor (POST /v1/me/step-up) and retry within 5 minutes.');
    }
  };
}
