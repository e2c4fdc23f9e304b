/**
 * Market-data routes (SPEC §6):
 *
 * - `POST /v1/market-data/prices` — a signed update; the Ed25519 signature is the credential
 *   (no bearer token), rate-limited as the `trading` class per address.
 * - `GET /v1/market-data/prices/{symbol}` → `{price, sources, updatedAt, status}` (+ symbol,
 *   quorum); any authenticated principal.
 * - `GET|POST /v1/admin/price-sources`, `DELETE /v1/admin/price-sources/{sourceId}`,
 *   `PUT /v1/admin/market-data/symbols/{symbol}` — permission `price-sources:write`;
 *   `POST /v1/admin/market-data/symbols/{symbol}/resume` — permission `market:resume`.
 *   Every admin write also needs a recent MFA (SPEC §3 step-up) and is audited by the service.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../../lib/errors/index.js';
import type { Clock } from '../../../lib/clock/index.js';
import { requirePermission, requireStepUp, requireUser } from '../../../server/auth.js';
import type { Monitor } from '../engine/monitor.js';
import { signedUpdateSchema, type SignedPriceUpdate } from '../feed/update.js';
import type { PolicyInput } from '../policy.js';
import type { AdminFailure, MarketDataAdmin } from '../service/admin.js';
import type { Ingest } from '../service/ingest.js';
import { priceView } from '../service/quotes.js';
import {
  acceptedSchema, policyBody, policySchema, priceViewSchema, registerSourceBody, resumeBody, resumeSchema, sourceParams, sourceSchema, symbolParams,
} from './schemas.js';

export interface MarketDataRouteDeps {
  ingest: Ingest;
  admin: MarketDataAdmin;
  monitor: Monitor;
  clock: Clock;
}

const BEARER = [{ bearer: [] }];

const failure = (result: { code: AdminFailure['code'] | AppError['code']; detail: string }) => new AppError(result.code, result.detail);

const context = (request: FastifyRequest) => ({ actor: request.principal?.userId ?? 'anonymous', ip: request.ip, requestId: request.id });

export function marketDataRoutes(deps: MarketDataRouteDeps) {
  const stepUp = requireStepUp(() => deps.clock.now());
  return (app: FastifyInstance): void => {
    app.post<{ Body: SignedPriceUpdate }>('/v1/market-data/prices', {
      config: { rateLimit: 'trading' },
      bodyLimit: 2048,
      schema: {
        tags: ['market-data'], summary: 'Push a signed price update (Ed25519 over RFC 8785 JSON of the other fields)',
        // No bearer token: the Ed25519 signature of a registered source is the credential.
        security: [],
        body: signedUpdateSchema, response: { 202: acceptedSchema },
      },
    }, async (request, reply) => {
      const result = await deps.ingest(request.body, { via: 'push', ip: request.ip, requestId: request.id });
      if (!result.ok) throw failure(result);
      return reply.code(202).send({ accepted: true, sourceId: result.sourceId, symbol: result.symbol, sequence: result.sequence, status: result.status });
    });

    app.get<{ Params: { symbol: string } }>('/v1/market-data/prices/:symbol', {
      config: { rateLimit: 'read' },
      preHandler: requireUser(),
      schema: { tags: ['market-data'], security: BEARER, summary: 'Validated reference price and source health', params: symbolParams, response: { 200: priceViewSchema } },
    }, async (request) => {
      const view = priceView(deps.monitor, request.params.symbol);
      if (!view) throw new AppError('NOT_FOUND', 'No market-data feed for that symbol.');
      return view;
    });

    app.get('/v1/admin/price-sources', {
      config: { rateLimit: 'admin' },
      preHandler: requirePermission('price-sources:write'),
      schema: { tags: ['market-data'], security: BEARER, summary: 'Registered price sources (keys by fingerprint only)', response: { 200: { type: 'object', additionalProperties: false, required: ['sources'], properties: { sources: { type: 'array', items: sourceSchema } } } } },
    }, async () => ({ sources: deps.admin.listSources() }));

    app.post<{ Body: { sourceId: string; publicKey: string; symbols: string[] } }>('/v1/admin/price-sources', {
      config: { rateLimit: 'admin' },
      preHandler: [requirePermission('price-sources:write'), stepUp],
      schema: { tags: ['market-data'], security: BEARER, summary: 'Register a price source (Ed25519 SPKI PEM) and its symbols; audited', body: registerSourceBody, response: { 201: sourceSchema } },
    }, async (request, reply) => {
      const result = await deps.admin.registerSource(request.body, context(request));
      if (!result.ok) throw failure(result);
      return reply.code(201).send(result.source);
    });

    app.delete<{ Params: { sourceId: string } }>('/v1/admin/price-sources/:sourceId', {
      config: { rateLimit: 'admin' },
      preHandler: [requirePermission('price-sources:write'), stepUp],
      schema: { tags: ['market-data'], security: BEARER, summary: 'Revoke a price source at once on every replica; audited', params: sourceParams, response: { 204: { type: 'null' } } },
    }, async (request, reply) => {
      const result = await deps.admin.revokeSource(request.params.sourceId, context(request));
      if (!result.ok) throw failure(result);
      return reply.code(204).send();
    });

    app.put<{ Params: { symbol: string }; Body: PolicyInput }>('/v1/admin/market-data/symbols/:symbol', {
      config: { rateLimit: 'admin' },
      preHandler: [requirePermission('price-sources:write'), stepUp],
      schema: { tags: ['market-data'], security: BEARER, summary: 'Set the feed policy of a symbol (bounds, quorum, thresholds); audited', params: symbolParams, body: policyBody, response: { 200: policySchema } },
    }, async (request) => {
      const result = await deps.admin.configureSymbol(request.params.symbol, request.body, context(request));
      if (!result.ok) throw failure(result);
      const { policy, version } = result;
      return { symbol: policy.symbol, version: Number(version), policy: policy.document };
    });

    app.post<{ Params: { symbol: string }; Body: { reason: string } }>('/v1/admin/market-data/symbols/:symbol/resume', {
      config: { rateLimit: 'admin' },
      preHandler: [requirePermission('market:resume'), stepUp],
      schema: { tags: ['market-data'], security: BEARER, summary: 'Lift a halt by hand; audited', params: symbolParams, body: resumeBody, response: { 200: resumeSchema } },
    }, async (request) => {
      const result = await deps.admin.resume(request.params.symbol, request.body.reason, context(request));
      if (!result.ok) throw failure(result);
      await deps.monitor.settle();
      return { symbol: request.params.symbol, status: deps.monitor.view(request.params.symbol)?.quote.status ?? 'unknown' };
    });
  };
}
