/**
 * Real-time alert delivery beyond the webhook (SPEC §7): the console's live stream
 * (`GET /v1/admin/events`, server-sent events shared across replicas through the StateStore) and
 * alert email over SMTP. It listens on the security event bus in its own subscriber, so neither
 * ever runs on the request path. See docs/detection.md, "Delivery".
 */
import type { Mailer } from '../../../lib/notify/index.js';
import type { Capability, PlatformCore } from '../../../server/capability.js';
import type { Severity } from '../rules/types.js';
import type { Alert, AlertStore } from '../store/alert-store.js';
import type { AlertRecipient } from './admin-recipients.js';
import { createAlertMailer, type AlertMailer, type AlertMailerOptions } from './alert-mailer.js';
import { liveEventRoutes } from './events-route.js';
import { createSecurityEventCounter } from './event-metrics.js';
import { incidentPayload, isIncidentType } from './live-event.js';
import { createLiveHub, type LiveHub } from './live-hub.js';
import { createStreamRegistry, DEFAULT_LIVE_STREAM_LIMITS, type LiveStreamLimits, type StreamRegistry } from './stream-registry.js';

export interface AlertDeliveryOptions {
  limits?: Partial<LiveStreamLimits>;
  /** Events kept per replica for `Last-Event-ID` resumption (default 1,000). */
  replayLimit?: number;
  mail?: Partial<Pick<AlertMailerOptions, 'minSeverity' | 'maxQueue' | 'maxAttempts' | 'baseDelayMs' | 'sleep'>>;
}

export interface AlertDeliveryDeps {
  alerts: AlertStore;
  /** Without a mailer (no Q2_SMTP_URL) no alert email is sent. */
  mailer?: Mailer;
  recipients: () => Promise<AlertRecipient[]>;
}

export interface AlertDeliveryCapability extends Capability {
  hub: LiveHub;
  streams: StreamRegistry;
  mail: AlertMailer | null;
}

const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** Messages come from our own channel, but a malformed one must not reach the mailer. */
function isAlert(data: unknown): data is Alert {
  const a = data as Partial<Alert> | null;
  return a !== null && typeof a === 'object' && typeof a.id === 'string' && typeof a.title === 'string'
    && SEVERITIES.includes(a.severity as Severity) && Array.isArray(a.events) && typeof a.createdAt === 'number';
}

export async function createAlertDeliveryCapability(
  core: PlatformCore, deps: AlertDeliveryDeps, options: AlertDeliveryOptions = {},
): Promise<AlertDeliveryCapability> {
  const hub = await createLiveHub({
    state: core.state, ...(options.replayLimit ? { replayLimit: options.replayLimit } : {}),
    onListenerError: (error) => core.logger.error({ err: error }, 'live event listener failed'),
  });
  const streams = createStreamRegistry({ hub, limits: { ...DEFAULT_LIVE_STREAM_LIMITS, ...options.limits }, metrics: core.metrics });
  const mail = deps.mailer
    ? createAlertMailer({
        mailer: deps.mailer, state: core.state, recipients: deps.recipients, metrics: core.metrics, logger: core.logger,
        publicUrl: core.config.server.publicUrl,
        ...(core.config.notify.alertEmailMinSeverity ? { minSeverity: core.config.notify.alertEmailMinSeverity } : {}),
        ...options.mail,
      })
    : null;
  const stopMailListener = mail ? hub.listen((event) => { if (event.type === 'alert.raised' && isAlert(event.data)) mail.offer(event.data); }) : null;
  const count = createSecurityEventCounter(core.metrics);

  const unsubscribe = core.events.subscribe('detection.delivery', async (event) => {
    count(event);
    if (event.type === 'alert.raised' && event.target) {
      const alert = await deps.alerts.get(event.target);
      if (alert) await hub.publish('alert.raised', alert);
    } else if (event.type === 'alert.acked' && event.target) {
      await hub.publish('alert.acked', { id: event.target, ackedBy: event.actor, ackedAt: event.time, ruleId: event.details.ruleId ?? null });
    } else if (isIncidentType(event.type)) {
      await hub.publish(event.type, incidentPayload(event));
    }
  });

  return {
    name: 'detection.delivery',
    hub,
    streams,
    mail,
    routes: [liveEventRoutes({ hub, streams })],
    async close() {
      // Alerts raised by events still queued are published before the streams and mail stop.
      await core.events.drain();
      unsubscribe();
      streams.closeAll();
      stopMailListener?.();
      await mail?.close();
      await hub.close();
    },
  };
}
