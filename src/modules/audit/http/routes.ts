/**
 * SPEC §7 audit routes. Each checks exactly one named permission: reading entries, proofs and
 * heads needs `audit:read`, running the verification `audit:verify`. Searching and verifying
 * are themselves security events (who looked at the audit trail, and whether it held).
 */
import type { FastifyRequest } from 'fastify';

import type { SecurityEventBus } from '../../../lib/events/index.js';
import { AppError } from '../../../lib/errors/index.js';
import type { RouteModule } from '../../../server/app.js';
import { requirePermission } from '../../../server/auth.js';
import type { AuditOutcome } from '../entry/types.js';
import { checkpointNote, type SignedTreeHead } from '../log/checkpoint.js';
import type { AuditLogger } from '../log/audit-logger.js';
import type { VerifyReport } from '../verify/verifier.js';
import { consistencySchema, inclusionSchema, searchSchema, treeHeadRouteSchema, verifySchema } from './schemas.js';

interface SearchQuery {
  from?: string; to?: string; actor?: string; action?: string; outcome?: AuditOutcome;
  order: 'asc' | 'desc'; cursor?: number; limit: number;
}

export function headJson(head: SignedTreeHead | null) {
  if (head === null) return null;
  return {
    treeSize: head.treeSize,
    rootHash: head.rootHash.toString('hex'),
    timestamp: head.timestamp,
    origin: head.origin,
    keyId: head.keyId,
    signature: head.signature.toString('base64'),
    checkpoint: checkpointNote(head),
  };
}

/**
 * Unix ms digits, or an RFC 3339 date-time / full-date (UTC midnight). The schema has already
 * checked the format, calendar included (ajv-formats refuses 2026-02-31), so Date.parse is exact.
 */
export function parseTime(value: string | undefined, path: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^[0-9]+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new AppError('VALIDATION_FAILED', `${path}: not a valid time`, { extensions: { errors: [{ path, message: 'not a valid time' }] } });
  }
  return ms;
}

export function auditRoutes(deps: { logger: AuditLogger; events: SecurityEventBus }): RouteModule {
  const { logger, events } = deps;
  let running: Promise<VerifyReport> | null = null;
  // One verification at a time per process: concurrent callers share the running one.
  const verifyOnce = () => (running ??= logger.verify().finally(() => { running = null; }));
  const who = (request: FastifyRequest) => ({
    actor: request.principal?.userId ?? 'anonymous', ip: request.ip, requestId: request.id,
  });

  return (app) => {
    app.get<{ Querystring: SearchQuery }>('/v1/admin/audit', {
      schema: searchSchema, preHandler: requirePermission('audit:read'),
    }, async (request) => {
      const q = request.query;
      const from = parseTime(q.from, 'querystring/from');
      const to = parseTime(q.to, 'querystring/to');
      const page = await logger.search({
        order: q.order, limit: q.limit,
        ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}),
        ...(q.actor !== undefined ? { actor: logger.storedIdentity(q.actor) } : {}),
        ...(q.action !== undefined ? { action: q.action } : {}),
        ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      });
      events.emit({
        type: 'audit.searched', outcome: 'info', ...who(request),
        // The searched actor is recorded in its stored (pseudonymised) form, like any entry's.
        details: { from: from ?? null, to: to ?? null, actor: q.actor === undefined ? null : logger.storedIdentity(q.actor), action: q.action ?? null, outcome: q.outcome ?? null, results: page.entries.length },
      });
      return page;
    });

    app.get('/v1/admin/audit/verify', { schema: verifySchema, preHandler: requirePermission('audit:verify') }, async (request) => {
      const report = await verifyOnce();
      events.emit({
        type: 'audit.verified', outcome: report.ok ? 'success' : 'failure', ...who(request),
        details: { entries: report.entries, firstBadSeq: report.firstBadSeq ?? null, reason: report.reason ?? null },
      });
      return { ...report, treeHead: headJson(report.treeHead) };
    });

    app.get<{ Params: { seq: number }; Querystring: { treeSize?: number } }>('/v1/admin/audit/proof/:seq', {
      schema: inclusionSchema, preHandler: requirePermission('audit:read'),
    }, async (request) => {
      const p = await logger.proveInclusion(request.params.seq, request.query.treeSize);
      return {
        seq: p.seq, leafIndex: p.seq, treeSize: p.treeSize, leafHash: p.leafHash.toString('hex'),
        proof: p.proof.map((h) => h.toString('hex')), rootHash: p.rootHash.toString('hex'),
        treeHead: headJson(p.treeHead), entry: p.entry,
      };
    });

    app.get<{ Querystring: { from: number; to?: number } }>('/v1/admin/audit/consistency', {
      schema: consistencySchema, preHandler: requirePermission('audit:read'),
    }, async (request) => {
      const p = await logger.proveConsistency(request.query.from, request.query.to);
      return {
        fromSize: p.fromSize, toSize: p.toSize, fromRoot: p.fromRoot.toString('hex'), toRoot: p.toRoot.toString('hex'),
        proof: p.proof.map((h) => h.toString('hex')), fromHead: headJson(p.fromHead), toHead: headJson(p.toHead),
      };
    });

    app.get('/v1/admin/audit/tree-head', { schema: treeHeadRouteSchema, preHandler: requirePermission('audit:read') }, async () => ({
      treeHead: headJson(await logger.latestTreeHead()),
      origin: logger.origin,
      publicKey: logger.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    }));
  };
}
