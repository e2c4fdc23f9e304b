/**
 * The signed-request authenticator on a bare Fastify app with an in-memory key: when it stands
 * aside (no signature, unknown route), when it answers SIGNATURE_MISSING, and that it fails
 * closed (503, handler not reached) when the shared store cannot rule out a replay.
 */
import { generateKeyPairSync } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock/index.js';
import { AppError } from '../../lib/errors/index.js';
import { createSecurityEventBus } from '../../lib/events/index.js';
import { registerRawBody } from '../../server/plugins/raw-body.js';
import { q2SignaturePolicy, signRequest, signingKeyFrom, verifyingKeyFrom } from '../signing/index.js';
import { createSignedRequestAuthenticator } from './authenticator.js';
import type { NonceStore } from './nonces.js';
import { markApiKeyRoutes, requireScope } from './scope.js';
import type { ResolvedKey, VerificationKeys } from './verification-keys.js';

const clock = createManualClock(Date.UTC(2026, 0, 1));
const KEY_ID = '0b5e7c9a-3f7e-4a51-9a40-3c8f1d2e6b11';
const pair = generateKeyPairSync('ed25519');
const resolved: ResolvedKey = {
  keyId: KEY_ID, userId: 'user-1', algorithm: 'ed25519', scopes: ['trade'], ipAllowlist: [], expiresAt: null,
  verifying: verifyingKeyFrom('ed25519', pair.publicKey.export({ format: 'pem', type: 'spki' })),
};
const keys: VerificationKeys = {
  resolve: async (id) => (id === KEY_ID ? resolved : null), isRevoked: async () => false, revoked: async () => undefined,
  cached: () => 1, start: async () => undefined, stop: async () => undefined,
};

async function app(nonces: NonceStore): Promise<{ app: FastifyInstance; served: string[] }> {
  const served: string[] = [];
  const instance = Fastify();
  registerRawBody(instance);
  markApiKeyRoutes(instance);
  const authenticate = createSignedRequestAuthenticator({ keys, nonces, events: createSecurityEventBus({ clock }), clock, policy: q2SignaturePolicy() });
  instance.decorateRequest('principal', null);
  instance.addHook('preHandler', async (request) => { request.principal = await authenticate(request); });
  instance.setErrorHandler((error, _request, reply) => reply.code(error instanceof AppError ? error.status : 500)
    .headers(error instanceof AppError ? error.headers : {}).send({ code: (error as AppError).code }));
  instance.post('/trade', { preHandler: requireScope('trade') }, async (request) => { served.push(request.principal?.kind ?? 'none'); return { ok: true }; });
  instance.get('/open', async (request) => ({ principal: request.principal?.kind ?? null }));
  await instance.ready();
  return { app: instance, served };
}

function signed(target = '/trade') {
  const body = JSON.stringify({ a: 1 });
  const headers = signRequest({ method: 'POST', url: new URL(`http://localhost${target}`), body: Buffer.from(body), keyId: KEY_ID, key: signingKeyFrom('ed25519', pair.privateKey), created: clock.now() / 1000 });
  return { method: 'POST' as const, url: target, payload: body, headers: { ...headers, host: 'localhost', 'content-type': 'application/json' } };
}

const claimOnce = (): NonceStore => {
  const seen = new Set<string>();
  return {
    async claim(keyId, nonce) {
      if (seen.has(`${keyId}|${nonce}`)) return false;
      seen.add(`${keyId}|${nonce}`);
      return true;
    },
  };
};

describe('signed-request authenticator', () => {
  it('authenticates a signed request as the key, once per nonce', async () => {
    const { app: instance, served } = await app(claimOnce());
    const request = signed();
    expect((await instance.inject(request)).statusCode).toBe(200);
    expect((await instance.inject(request)).json()).toEqual({ code: 'REPLAY_DETECTED' });
    expect(served).toEqual(['apikey']);
  });

  it('stands aside without signature headers on routes that do not take keys, and on unknown routes', async () => {
    const { app: instance } = await app(claimOnce());
    expect((await instance.inject({ method: 'GET', url: '/open' })).json()).toEqual({ principal: null });
    expect((await instance.inject({ ...signed('/nowhere') })).statusCode).toBe(404);
  });

  it('answers SIGNATURE_MISSING on a key route without a signature', async () => {
    const { app: instance, served } = await app(claimOnce());
    expect((await instance.inject({ method: 'POST', url: '/trade', payload: { a: 1 } })).json()).toEqual({ code: 'SIGNATURE_MISSING' });
    expect(served).toEqual([]);
  });

  it('fails closed with DEPENDENCY_UNAVAILABLE when the replay store is down', async () => {
    const { app: instance, served } = await app({ claim: async () => { throw new Error('redis down'); } });
    const res = await instance.inject(signed());
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(served).toEqual([]);
  });

  it('answers SERVICE_OVERLOADED with Retry-After when the replay store is full, and serves nothing', async () => {
    const full = new AppError('SERVICE_OVERLOADED', 'full', { headers: { 'retry-after': '15' } });
    const { app: instance, served } = await app({ claim: async () => { throw full; } });
    const res = await instance.inject(signed());
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('15');
    expect(res.json()).toEqual({ code: 'SERVICE_OVERLOADED' });
    expect(served).toEqual([]);
  });
});
