/**
 * `/v1/me/api-keys` (SPEC §4). Creation needs a bearer-token user with a multi-factor
 * authentication in the last 5 minutes (step-up); listing and revoking need the user. None of
 * these routes accepts an API key (no `requireScope`): a key cannot mint or revoke keys.
 * Someone else's key answers 404, exactly like a missing one.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../lib/auth/index.js';
import { AppError } from '../../lib/errors/index.js';
import { requireStepUp, requireUser } from '../../server/auth.js';
import { apiKeyList, createdApiKey, keyIdParams, newApiKeyBody } from './schemas.js';
import type { ApiKeyService } from './service.js';
import type { ActionContext, ApiKey, NewApiKey } from './types.js';

export interface ApiKeyRouteDeps {
  service: ApiKeyService;
  now(): number;
}

const security = [{ bearer: [] }];
const tags = ['api-keys'];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function present(key: ApiKey) {
  return {
    keyId: key.keyId, label: key.label, scopes: key.scopes, ipAllowlist: key.ipAllowlist,
    expiresAt: iso(key.expiresAt), algorithm: key.algorithm, createdAt: iso(key.createdAt),
  };
}

/** Only an interactive user manages keys; the route guards make any other principal impossible. */
function userOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal || principal.kind !== 'user') throw new AppError('UNAUTHENTICATED', 'Bearer token required.');
  return principal;
}

const contextOf = (request: FastifyRequest): ActionContext => ({ ip: request.ip, requestId: request.id });

type CreateBody = Omit<NewApiKey, 'expiresAt'> & { expiresAt?: string };

export function apiKeyRoutes(deps: ApiKeyRouteDeps) {
  const { service } = deps;
  return (app: FastifyInstance) => {
    app.post('/v1/me/api-keys', {
      preHandler: [requireUser(), requireStepUp(deps.now)],
      config: { rateLimit: 'auth' },
      schema: { tags, security, body: newApiKeyBody, response: { 201: createdApiKey } },
    }, async (request, reply) => {
      const user = userOf(request);
      const body = request.body as CreateBody;
      const created = await service.create(user.userId, {
        ...body, expiresAt: body.expiresAt === undefined ? null : Date.parse(body.expiresAt),
      }, contextOf(request));
      const answer = { ...present(created), ...(created.secret === undefined ? {} : { secret: created.secret }) };
      return reply.code(201).send(answer);
    });

    app.get('/v1/me/api-keys', {
      preHandler: requireUser(),
      schema: { tags, security, response: { 200: apiKeyList } },
    }, async (request) => (await service.list(userOf(request).userId)).map(present));

    app.delete('/v1/me/api-keys/:id', {
      preHandler: requireUser(),
      schema: { tags, security, params: keyIdParams, response: { 204: { type: 'null' } } },
    }, async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!(await service.revoke(userOf(request).userId, id, contextOf(request)))) throw new AppError('NOT_FOUND', 'No such API key.');
      return reply.code(204).send();
    });
  };
}
