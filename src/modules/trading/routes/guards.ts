/**
 * Authorisation of trading routes. Users (bearer) may trade; API keys need the matching scope
 * (SPEC §4: `read`, `trade`, `withdraw`). Withdrawals additionally need a recent second factor
 * for users (SPEC §3 step-up); an API key's `withdraw` scope was itself granted under step-up
 * and is bound to an IP allowlist by the API-key module.
 */
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { ApiKeyScope, Principal } from '../../../lib/auth/index.js';
import { AppError } from '../../../lib/errors/index.js';
import { hasRecentMfa } from '../../../server/auth.js';
import { requireScope } from '../../apikeys/index.js';
import type { RequestContext } from '../orders/commands.js';

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('UNAUTHENTICATED', 'Bearer token or signed request required.');
  return request.principal;
}

/**
 * The API-key module's scope guard, unwrapped: it marks the route as accepting signed API-key
 * requests (a wrapped guard would hide the mark and the route would refuse every key).
 */
export function requireAccess(scope: ApiKeyScope): preHandlerAsyncHookHandler {
  return requireScope(scope);
}

/** Withdrawals: the `withdraw` scope for API keys, then step-up MFA for users. */
export function requireWithdrawAccess(now: () => number): preHandlerAsyncHookHandler[] {
  const userStepUp: preHandlerAsyncHookHandler = async (request) => {
    const principal = principalOf(request);
    if (principal.kind === 'user' && !hasRecentMfa(principal, now())) {
      throw new AppError('AUTH_STEP_UP_REQUIRED', 'Verify a second factor (POST /v1/me/step-up) and retry within 5 minutes.');
    }
  };
  return [requireScope('withdraw'), userStepUp];
}

/** Managing the address allowlist is for the signed-in owner only, with step-up. */
export function requireOwnerStepUp(now: () => number): preHandlerAsyncHookHandler {
  return async (request) => {
    const principal = principalOf(request);
    if (principal.kind !== 'user') throw new AppError('FORBIDDEN', 'Withdrawal addresses are managed by the account owner, not by API keys.');
    if (!hasRecentMfa(principal, now())) throw new AppError('AUTH_STEP_UP_REQUIRED', 'Verify a second factor (POST /v1/me/step-up) and retry within 5 minutes.');
  };
}

export function contextOf(request: FastifyRequest): RequestContext {
  const principal = request.principal;
  const actor = !principal ? 'anonymous' : principal.kind === 'apikey' ? `apikey:${principal.apiKeyId ?? 'unknown'}` : principal.userId;
  return { actor, ip: request.ip, requestId: request.id };
}
