/**
 * SPEC §7 incident routes. Reading needs `incidents:read`; responding (opening, containment
 * actions, transitions, vulnerability records) needs `incidents:write`, and containment actions
 * and transitions also a recent second factor (step-up), as alert acknowledgement does.
 */
import type { FastifyRequest } from 'fastify';

import type { Clock } from '../../../lib/clock/index.js';
import { AppError } from '../../../lib/errors/index.js';
import type { SecurityEventBus } from '../../../lib/events/index.js';
import type { Kysely } from 'kysely';
import type { Tables } from '../../../lib/db/schema.js';
import type { RouteModule } from '../../../server/app.js';
import { requirePermission, requireStepUp } from '../../../server/auth.js';
import type { Severity } from '../../detection/index.js';
import { authenticationKpis, incidentKpis, remediationKpis } from '../kpis.js';
import type { IncidentStatus } from '../lifecycle.js';
import type { ContainmentAction } from '../policy.js';
import type { IncidentService } from '../service.js';
import type { IncidentStore } from '../store.js';
import type { ActorContext } from '../types.js';
import type { Vulnerability, VulnerabilityStore } from '../vulnerabilities.js';
import {
  actionSchema, getSchema, kpisSchema, listSchema, listVulnerabilitiesSchema, openSchema, recordVulnerabilitySchema, timelineSchema, transitionSchema,
} from './schemas.js';

export interface IncidentRouteDeps {
  service: IncidentService;
  store: IncidentStore;
  vulnerabilities: VulnerabilityStore;
  db: Kysely<Tables>;
  events: SecurityEventBus;
  clock: Clock;
}

/** Default KPI window when `from` is not given. */
const KPI_WINDOW_MS = 30 * 24 * 60 * 60_000;

/** OpenAPI grouping of every incident route. */
const doc = (summary: string) => ({ tags: ['incidents'], security: [{ bearer: [] }], summary });

const ctxOf = (request: FastifyRequest): ActorContext => ({ actor: request.principal?.userId ?? 'anonymous', ip: request.ip, requestId: request.id });
const iso = (ms: number) => new Date(ms).toISOString();
const vulnerabilityView = (v: Vulnerability) => ({ ...v, foundAt: iso(v.foundAt), remediatedAt: v.remediatedAt === null ? null : iso(v.remediatedAt), updatedAt: iso(v.updatedAt) });

export function incidentRoutes(deps: IncidentRouteDeps): RouteModule {
  const { service, clock } = deps;
  const read = requirePermission('incidents:read');
  const respond = requirePermission('incidents:write');
  const respondWithStepUp = [respond, requireStepUp(() => clock.now())];
  const admin = { rateLimit: 'admin' } as const;

  return (app) => {
    app.get<{ Querystring: { status?: IncidentStatus; cursor?: string; limit: number } }>('/v1/admin/incidents', {
      config: admin, schema: { ...listSchema, ...doc('Incidents, newest first, by status, with a cursor') }, preHandler: read,
    }, async (request) => {
      const q = request.query;
      let before: { openedAt: number; id: string } | undefined;
      if (q.cursor !== undefined) {
        const anchor = await deps.store.get(q.cursor);
        if (anchor === null) throw new AppError('INCIDENT_NOT_FOUND', 'The cursor names no incident.');
        before = { openedAt: anchor.openedAt, id: anchor.id };
      }
      const page = await service.list({ limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(before ? { before } : {}) });
      return { incidents: page, nextCursor: page.length === q.limit ? page[page.length - 1]!.id : null };
    });

    app.post<{ Body: { title: string; severity: Severity; alertIds?: string[] } }>('/v1/admin/incidents', {
      config: admin, schema: { ...openSchema, ...doc('Open an incident by hand') }, preHandler: respond,
    }, async (request, reply) => reply.code(201).send(await service.open(request.body, ctxOf(request))));

    app.get<{ Params: { id: string } }>('/v1/admin/incidents/:id', {
      config: admin, schema: { ...getSchema, ...doc('An incident with its steps') }, preHandler: read,
    }, async (request) => service.get(request.params.id));

    app.post<{ Params: { id: string }; Body: { action: ContainmentAction; target: string; ttlSeconds?: number } }>('/v1/admin/incidents/:id/actions', {
      config: admin, schema: { ...actionSchema, ...doc('Run a containment action (step-up)') }, preHandler: respondWithStepUp,
    }, async (request) => {
      const { action, target, ttlSeconds } = request.body;
      return service.act(request.params.id, action, target, ttlSeconds === undefined ? undefined : ttlSeconds * 1000, ctxOf(request));
    });

    app.post<{ Params: { id: string }; Body: { to: IncidentStatus; note?: string; lessonsLearned?: string } }>('/v1/admin/incidents/:id/transition', {
      config: admin, schema: { ...transitionSchema, ...doc('Move an incident through its lifecycle (step-up)') }, preHandler: respondWithStepUp,
    }, async (request) => {
      const { to, note, lessonsLearned } = request.body;
      return service.transition(request.params.id, to, { ...(note ? { note } : {}), ...(lessonsLearned ? { lessonsLearned } : {}) }, ctxOf(request));
    });

    app.get<{ Params: { id: string } }>('/v1/admin/incidents/:id/timeline', {
      config: admin, schema: { ...timelineSchema, ...doc('Forensic timeline from the audit log and the incident steps') }, preHandler: read,
    }, async (request) => service.timeline(request.params.id));

    app.post<{ Body: { id: string; severity: Severity; title?: string; foundAt: string; remediatedAt?: string | null } }>('/v1/admin/vulnerabilities', {
      config: admin, schema: { ...recordVulnerabilitySchema, ...doc('Record or update a vulnerability (for remediation KPIs)') }, preHandler: respond,
    }, async (request, reply) => {
      const body = request.body;
      const ctx = ctxOf(request);
      const { vulnerability, created } = await deps.vulnerabilities.record({
        id: body.id, severity: body.severity, ...(body.title === undefined ? {} : { title: body.title }),
        foundAt: Date.parse(body.foundAt), remediatedAt: body.remediatedAt == null ? null : Date.parse(body.remediatedAt),
      }, ctx.actor, clock.now());
      deps.events.emit({
        type: 'vulnerability.recorded', actor: ctx.actor, target: vulnerability.id, outcome: 'success', ip: ctx.ip, requestId: ctx.requestId,
        details: { severity: vulnerability.severity, created, remediated: vulnerability.remediatedAt !== null },
      });
      return reply.code(created ? 201 : 200).send(vulnerabilityView(vulnerability));
    });

    app.get<{ Querystring: { limit: number } }>('/v1/admin/vulnerabilities', {
      config: admin, schema: { ...listVulnerabilitiesSchema, ...doc('Vulnerability records') }, preHandler: read,
    }, async (request) => ({ vulnerabilities: (await deps.vulnerabilities.list(request.query.limit)).map(vulnerabilityView) }));

    app.get<{ Querystring: { from?: string; to?: string } }>('/v1/admin/kpis', {
      config: admin, schema: { ...kpisSchema, ...doc('Security KPIs: authentication, incident response, remediation') }, preHandler: read,
    }, async (request) => {
      const now = clock.now();
      const to = request.query.to === undefined ? now + 1 : Date.parse(request.query.to);
      const from = request.query.from === undefined ? to - KPI_WINDOW_MS : Date.parse(request.query.from);
      if (!(from < to)) throw new AppError('VALIDATION_FAILED', 'querystring/from: must be before to', { extensions: { path: '/from' } });
      return {
        from: iso(from), to: iso(to),
        authentication: await authenticationKpis(deps.db, from, to),
        incidents: incidentKpis(await deps.store.openedBetween(from, to), now),
        vulnerabilities: remediationKpis(await deps.vulnerabilities.foundBefore(to)),
      };
    });
  };
}
