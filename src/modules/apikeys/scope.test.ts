/** `requireScope` guards and marks routes; routes without it are not API-key routes. */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../lib/auth/index.js';
import { AppError } from '../../lib/errors/index.js';
import { markApiKeyRoutes, requireScope, scopesOf } from './scope.js';

const key = (scopes: Principal['scopes']): Principal => ({ kind: 'apikey', userId: 'u', roles: [], apiKeyId: 'k', scopes, amr: ['swk'], authTime: 0 });
const user: Principal = { kind: 'user', userId: 'u', roles: ['trader'], amr: ['pwd'], authTime: 0 };

async function app(principal: Principal | null) {
  const instance = Fastify();
  instance.decorateRequest('principal', null);
  instance.addHook('preHandler', async (request) => { request.principal = principal; });
  instance.setErrorHandler((error, _request, reply) => reply.code(error instanceof AppError ? error.status : 500).send({ code: (error as AppError).code }));
  markApiKeyRoutes(instance);
  instance.post('/trade', { preHandler: [requireScope('trade')] }, async (request) => ({ scopes: request.routeOptions.config.apiKeyScopes }));
  instance.get('/both', { preHandler: [requireScope('read'), requireScope('withdraw')] }, async (request) => ({ scopes: request.routeOptions.config.apiKeyScopes }));
  instance.get('/plain', async (request) => ({ scopes: request.routeOptions.config.apiKeyScopes ?? null }));
  await instance.ready();
  return instance;
}

describe('requireScope', () => {
  it('records the scopes of its guards in the route config, and nothing on other routes', async () => {
    const instance = await app(user);
    expect((await instance.inject({ method: 'POST', url: '/trade' })).json()).toEqual({ scopes: ['trade'] });
    expect((await instance.inject({ method: 'GET', url: '/both' })).json()).toEqual({ scopes: ['read', 'withdraw'] });
    expect((await instance.inject({ method: 'GET', url: '/plain' })).json()).toEqual({ scopes: null });
    expect(scopesOf({ preHandler: async () => undefined })).toEqual([]);
  });

  it('lets users and keys holding the scope through; refuses keys without it and anonymous callers', async () => {
    expect((await (await app(key(['trade']))).inject({ method: 'POST', url: '/trade' })).statusCode).toBe(200);
    const refused = await (await app(key(['read']))).inject({ method: 'POST', url: '/trade' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({ code: 'APIKEY_SCOPE_FORBIDDEN' });
    expect((await (await app(null)).inject({ method: 'POST', url: '/trade' })).json()).toEqual({ code: 'UNAUTHENTICATED' });
  });
});
