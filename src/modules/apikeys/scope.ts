/**
 * `requireScope(scope)`: the guard a route uses to accept API keys (trading routes: `trade`,
 * withdrawals: `withdraw`, reads: `read`). It is also the route's opt-in: when routes are
 * registered, `markApiKeyRoutes` copies the scopes of the guards it finds into the route's
 * config, where the signed-request authenticator reads them. Routes without the guard refuse
 * API keys outright. Bearer-token users pass (their own checks, e.g. step-up, still apply).
 */
import type { FastifyInstance, RouteOptions, preHandlerAsyncHookHandler } from 'fastify';
import { AppError } from '../../lib/errors/index.js';
import type { ApiKeyScope } from './types.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scopes an API key needs on this route; absent = the route does not accept API keys. */
    apiKeyScopes?: readonly ApiKeyScope[];
  }
}

const SCOPE = Symbol('q2.apikeys.scope');
type ScopeGuard = preHandlerAsyncHookHandler & { [SCOPE]?: ApiKeyScope };

export function requireScope(scope: ApiKeyScope): preHandlerAsyncHookHandler {
  const guard: ScopeGuard = async (request) => {
    const principal = request.principal;
    if (!principal) throw new AppError('UNAUTHENTICATED', 'Sign the request with an API key (RFC 9421) or present a bearer token.');
    // Second line of defence: the authenticator has already refused keys without the scope.
    if (principal.kind === 'apikey' && !(principal.scopes ?? []).includes(scope)) {
      throw new AppError('APIKEY_SCOPE_FORBIDDEN', `This API key lacks the ${scope} scope.`);
    }
  };
  guard[SCOPE] = scope;
  return guard;
}

/** The scopes required by the `requireScope` guards among a route's preHandlers. */
export function scopesOf(route: Pick<RouteOptions, 'preHandler'>): ApiKeyScope[] {
  const handlers = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
  return handlers.flatMap((handler) => {
    const scope = (handler as ScopeGuard)[SCOPE];
    return scope === undefined ? [] : [scope];
  });
}

/** Registers the onRoute hook that records each route's API-key scopes in its config. */
export function markApiKeyRoutes(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const scopes = scopesOf(route);
    if (scopes.length > 0) route.config = { ...route.config, apiKeyScopes: scopes };
  });
}
