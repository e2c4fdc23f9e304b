/**
 * SPEC §7 alert routes: `GET /v1/admin/alerts` (permission `alerts:read`) and
 * `POST /v1/admin/alerts/{id}/ack` (permission `alerts:ack` and a recent MFA). Acknowledging is a
 * security event.
 */
import type { SecurityEventBus } from '../../../lib/events/index.js';
import type { Clock } from '../../../lib/clock/index.js';
import { AppError } from '../../../lib/errors/index.js';
import type { RouteModule } from '../../../server/app.js';
import { requirePermission, requireStepUp } from '../../../server/auth.js';
import type { AlertStore } from '../store/alert-store.js';
import { ackAlertSchema, listAlertsSchema, type AlertSeverityName } from './schemas.js';

interface ListQuery { status?: 'open' | 'acked'; severity?: AlertSeverityName; cursor?: string; limit: number }

export function alertRoutes(deps: { alerts: AlertStore; events: SecurityEventBus; clock: Clock }): RouteModule {
  const { alerts, events, clock } = deps;
  return (app) => {
    app.get<{ Querystring: ListQuery }>('/v1/admin/alerts', {
      config: { rateLimit: 'admin' }, schema: listAlertsSchema, preHandler: requirePermission('alerts:read'),
    }, async (request) => {
      const q = request.query;
      let before: { createdAt: number; id: string } | undefined;
      if (q.cursor !== undefined) {
        const anchor = await alerts.get(q.cursor);
        if (anchor === null) throw new AppError('ALERT_NOT_FOUND', 'The cursor names no alert.');
        before = { createdAt: anchor.createdAt, id: anchor.id };
      }
      const page = await alerts.list({
        limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.severity ? { severity: q.severity } : {}), ...(before ? { before } : {}),
      });
      return { alerts: page, nextCursor: page.length === q.limit ? page[page.length - 1]!.id : null };
    });

    app.post<{ Params: { id: string } }>('/v1/admin/alerts/:id/ack', {
      // Step-up: acknowledging hides an alert from the open queue, which a stolen admin session
      // would love to do to its own alerts.
      config: { rateLimit: 'admin' }, schema: ackAlertSchema, preHandler: [requirePermission('alerts:ack'), requireStepUp(() => clock.now())],
    }, async (request) => {
      const by = request.principal?.userId ?? 'anonymous';
      const { result, alert } = await alerts.ack(request.params.id, by, clock.now());
      if (alert === null) throw new AppError('ALERT_NOT_FOUND', 'No alert has this id.');
      if (result === 'acked') {
        events.emit({ type: 'alert.acked', actor: by, target: alert.id, outcome: 'success', ip: request.ip, requestId: request.id, details: { ruleId: alert.ruleId } });
      }
      // Acknowledging twice is not an error: the alert is acknowledged, by whoever came first.
      return alert;
    });
  };
}
