/**
 * HTTP routes of the network layer (SPEC §7 `GET|POST /v1/admin/ip-rules`,
 * `DELETE /v1/admin/ip-rules/{id}`; plus the caller's own trading allowlist under `/v1/me`).
 * Each admin route checks one named permission; writes also need a recent multi-factor
 * authentication (SPEC §3 step-up). Every change is a security event (emitted by the service).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors/index.js';
import type { Principal } from '../../lib/auth/index.js';
import { hasRecentMfa, requirePermission, requireUser } from '../../server/auth.js';
import { MAX_ALLOWLIST_ENTRIES, normaliseAllowlist, type IpAllowlists } from './allowlists.js';
import { parseCidr } from './ip.js';
import type { RuleRepository } from './rules/repository.js';
import { refuseSelfBlock } from './self-block.js';
import type { RuleService } from './rules/service.js';
import type { NetworkRule } from './rules/types.js';

export interface NetworkRouteDeps {
  rules: RuleService;
  repository: RuleRepository;
  allowlists: IpAllowlists;
  now(): number;
}

const ruleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'cidr', 'action', 'source', 'reason', 'createdBy', 'createdAt', 'expiresAt'],
  properties: {
    id: { type: 'string' },
    cidr: { type: 'string' },
    action: { type: 'string', enum: ['allow', 'deny'] },
    source: { type: 'string', enum: ['admin', 'containment', 'recidive'] },
    reason: { type: 'string' },
    createdBy: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

const allowlistSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cidrs'],
  properties: { cidrs: { type: 'array', maxItems: MAX_ALLOWLIST_ENTRIES, items: { type: 'string', minLength: 2, maxLength: 49 } } },
} as const;

function present(rule: NetworkRule) {
  return {
    id: rule.id,
    cidr: rule.subject,
    action: rule.action,
    source: rule.source,
    reason: rule.reason,
    createdBy: rule.createdBy,
    createdAt: new Date(rule.createdAt).toISOString(),
    expiresAt: rule.expiresAt === null ? null : new Date(rule.expiresAt).toISOString(),
  };
}

function stepUp(now: () => number) {
  return async (request: FastifyRequest) => {
    if (request.principal && !hasRecentMfa(request.principal, now())) {
      throw new AppError('AUTH_STEP_UP_REQUIRED', 'Changing IP rules needs a multi-factor authentication within the last 5 minutes.');
    }
  };
}

function context(request: FastifyRequest) {
  return { actor: request.principal?.userId ?? 'anonymous', ip: request.ip, requestId: request.id };
}

export function networkRoutes(deps: NetworkRouteDeps) {
  return (app: FastifyInstance): void => {
    app.get<{ Querystring: { action?: 'allow' | 'deny'; source?: 'admin' | 'containment' | 'recidive'; limit: number; offset: number } }>('/v1/admin/ip-rules', {
      config: { rateLimit: 'admin' },
      preHandler: requirePermission('ip-rules:read'),
      schema: {
        tags: ['network'],
        summary: 'List live IP allow/deny rules and bans, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            action: { type: 'string', enum: ['allow', 'deny'] },
            source: { type: 'string', enum: ['admin', 'containment', 'recidive'] },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
          },
        },
        response: {
          200: {
            type: 'object', additionalProperties: false, required: ['rules', 'total'],
            properties: { rules: { type: 'array', items: ruleSchema }, total: { type: 'integer' } },
          },
        },
      },
    }, async (request) => {
      const { action, source, limit, offset } = request.query;
      const page = await deps.repository.page({ kind: 'ip', ...(action ? { action } : {}), ...(source ? { source } : {}), limit, offset }, deps.now());
      return { rules: page.rules.map(present), total: page.total };
    });

    app.post<{ Body: { cidr: string; action: 'allow' | 'deny'; reason: string; ttlSeconds?: number } }>('/v1/admin/ip-rules', {
      config: { rateLimit: 'admin' },
      preHandler: [requirePermission('ip-rules:write'), stepUp(deps.now)],
      schema: {
        tags: ['network'],
        summary: 'Add a global IP allow or deny rule (IPv4/IPv6 CIDR); audited',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['cidr', 'action', 'reason'],
          properties: {
            cidr: { type: 'string', minLength: 2, maxLength: 49 },
            action: { type: 'string', enum: ['allow', 'deny'] },
            reason: { type: 'string', minLength: 1, maxLength: 200 },
            ttlSeconds: { type: 'integer', minimum: 60, maximum: 366 * 24 * 3600 },
          },
        },
        response: { 201: ruleSchema },
      },
    }, async (request, reply) => {
      const { action, reason, ttlSeconds } = request.body;
      const cidr = parseCidr(request.body.cidr);
      if (!cidr) throw new AppError('VALIDATION_FAILED', 'body/cidr: not an IPv4/IPv6 address or CIDR with zero host bits');
      if (action === 'deny') refuseSelfBlock(cidr.text, request.ip);
      const rule = await deps.rules.create(
        { kind: 'ip', subject: cidr.text, action, source: 'admin', reason, expiresAt: ttlSeconds === undefined ? null : deps.now() + ttlSeconds * 1000 },
        context(request),
      );
      return reply.code(201).send(present(rule));
    });

    app.delete<{ Params: { id: string } }>('/v1/admin/ip-rules/:id', {
      config: { rateLimit: 'admin' },
      preHandler: [requirePermission('ip-rules:write'), stepUp(deps.now)],
      schema: {
        tags: ['network'],
        summary: 'Delete an IP rule or lift a ban; audited',
        params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', format: 'uuid', maxLength: 36 } } },
        response: { 204: { type: 'null' } },
      },
    }, async (request, reply) => {
      const rule = deps.rules.matcher().rules().find((r) => r.id === request.params.id);
      // Only IP rules are managed here; account bans are not addressable through this route.
      if (rule && rule.kind !== 'ip') throw new AppError('NOT_FOUND', 'No such IP rule.');
      const removed = await deps.rules.remove(request.params.id, context(request));
      if (!removed) throw new AppError('NOT_FOUND', 'No such IP rule.');
      return reply.code(204).send();
    });

    app.get('/v1/me/ip-allowlist', {
      preHandler: requireUser(),
      schema: { tags: ['network'], summary: "The caller's trading IP allowlist (empty: unrestricted)", response: { 200: allowlistSchema } },
    }, async (request) => {
      const principal = request.principal as Principal;
      return { cidrs: [...(await deps.allowlists.get({ kind: 'user', id: principal.userId }))] };
    });

    app.put<{ Body: { cidrs: string[] } }>('/v1/me/ip-allowlist', {
      preHandler: [requireUser(), async (request) => {
        if (request.principal?.kind !== 'user') throw new AppError('FORBIDDEN', 'Only an interactive user can change the allowlist.');
        if (!hasRecentMfa(request.principal, deps.now())) {
          throw new AppError('AUTH_STEP_UP_REQUIRED', 'Changing the allowlist needs a multi-factor authentication within the last 5 minutes.');
        }
      }],
      schema: { tags: ['network'], summary: "Replace the caller's trading IP allowlist; audited", body: allowlistSchema, response: { 200: allowlistSchema } },
    }, async (request) => {
      let cidrs: string[];
      try {
        cidrs = normaliseAllowlist(request.body.cidrs);
      } catch (error) {
        throw new AppError('VALIDATION_FAILED', `body/cidrs: ${(error as Error).message}`);
      }
      const principal = request.principal as Principal;
      return { cidrs: [...(await deps.allowlists.replace({ kind: 'user', id: principal.userId }, cidrs, context(request)))] };
    });
  };
}
