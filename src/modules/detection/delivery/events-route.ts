/**
 * SPEC §7 `GET /v1/admin/events`: the console's live stream of alerts and incident events as
 * server-sent events. Permission `alerts:read` (bearer token or the console's cookie session —
 * a GET needs no CSRF token); incident events only for principals with `incidents:read`.
 * `?types=` narrows the stream; `Last-Event-ID` resumes it from the replay buffer.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';

import { hasPermission } from '../../../lib/auth/index.js';
import { AppError } from '../../../lib/errors/index.js';
import type { RouteModule } from '../../../server/app.js';
import { requirePermission } from '../../../server/auth.js';
import { ALERT_TYPES, isIncidentType } from './live-event.js';
import type { LiveHub } from './live-hub.js';
import type { StreamRegistry } from './stream-registry.js';

const TYPE_ITEM = /^(alert\.raised|alert\.acked|incident\.\*|incident\.[a-z_][a-z_.]{0,99})$/;

const eventsSchema = {
  tags: ['admin'],
  description: 'Server-sent events (text/event-stream): alert.raised, alert.acked, incident.*; resumable with Last-Event-ID.',
  querystring: {
    type: 'object', additionalProperties: false,
    properties: { types: { type: 'string', minLength: 1, maxLength: 300, pattern: '^[a-z_.*]+(,[a-z_.*]+)*$' } },
  },
  // Documentation only: the reply is hijacked and written as an event stream, never serialised.
  response: { 200: { description: 'An endless text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
} as const;

/** `?types=alert.raised,incident.*` → predicate; anything else is a 400, never a silent no-op. */
export function parseTypeFilter(types: string | undefined, mayReadIncidents: boolean): (type: string) => boolean {
  const allowed = (type: string) => (ALERT_TYPES as readonly string[]).includes(type) || (mayReadIncidents && isIncidentType(type));
  if (types === undefined) return allowed;
  const items = types.split(',');
  const bad = items.find((item) => !TYPE_ITEM.test(item));
  if (bad !== undefined) throw new AppError('VALIDATION_FAILED', `Unknown event type "${bad}": use alert.raised, alert.acked, incident.* or incident.<name>.`);
  const exact = new Set(items.filter((item) => !item.endsWith('.*')));
  const anyIncident = items.includes('incident.*');
  return (type) => allowed(type) && (exact.has(type) || (anyIncident && isIncidentType(type)));
}

/** The headers set so far (security headers, X-Request-Id), which a hijacked reply must copy. */
function headersOf(reply: FastifyReply): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) out[name] = value;
  return out;
}

export function liveEventRoutes(deps: { hub: LiveHub; streams: StreamRegistry }): RouteModule {
  const { hub, streams } = deps;
  return (app) => {
    // Open streams are not idle connections: end them before Fastify waits for in-flight requests.
    app.addHook('preClose', async () => streams.closeAll());

    app.get<{ Querystring: { types?: string } }>('/v1/admin/events', {
      config: { rateLimit: 'admin' }, schema: eventsSchema, preHandler: requirePermission('alerts:read'),
    }, async (request, reply) => {
      const principal = request.principal!;
      const accepts = parseTypeFilter(request.query.types, hasPermission(principal, 'incidents:read'));
      const header = request.headers['last-event-id'];
      const lastEventId = typeof header === 'string' && header.length > 0 ? header.slice(0, 100) : null;
      const lease = streams.admit(principal.userId);
      if (lease === null) throw new AppError('EVENT_STREAM_LIMIT', 'Too many live event streams are open; close one or retry later.');

      void reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...headersOf(reply),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        // Ending the stream then closes the socket, so shutdown never waits on a kept-alive one.
        connection: 'close',
        'x-accel-buffering': 'no',
      });
      // Heartbeats and the bounded buffer decide when a stream is dead, not the idle-socket timeout.
      request.raw.socket.setTimeout(0);
      const stream = lease.open(raw);
      if (lastEventId !== null) {
        const missed = hub.replayAfter(lastEventId);
        if (missed === null) stream.notice('reset', { reason: 'replay-unavailable' });
        else for (const event of missed) if (accepts(event.type)) stream.send(event);
      }
      lease.onEvent((event) => { if (accepts(event.type)) stream.send(event); });
    });
  };
}
