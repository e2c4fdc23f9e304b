/**
 * The detection capability (SPEC §7 intrusion detection): subscribes to the security event bus,
 * runs every event through the rule engine, stores each hit as an alert, emits `alert.raised`
 * and queues the signed webhook. Detection runs in its own bus subscriber, never on the request
 * path; its state is in the shared StateStore so replicas count together.
 */
import { Counter } from 'prom-client';

import type { Capability, PlatformCore } from '../../server/capability.js';
import { createDetector } from './engine/detector.js';
import { alertRoutes } from './http/routes.js';
import { DEFAULT_RULES } from './rules/defaults.js';
import type { DetectionRule } from './rules/types.js';
import { validateRules } from './rules/validate.js';
import { createAlertStore, type AlertStore } from './store/alert-store.js';
import { createAlertWebhook, type AlertWebhookOptions } from './webhook/alert-webhook.js';

export interface DetectionCapabilityOptions {
  rules?: readonly DetectionRule[];
  /** HMAC secret of the alert webhook; without it no webhook is sent (never unsigned). */
  webhookSecret?: string;
  webhook?: Partial<Pick<AlertWebhookOptions, 'fetch' | 'sleep' | 'maxAttempts' | 'baseDelayMs'>>;
}

export interface DetectionCapability extends Capability {
  alerts: AlertStore;
  /** Drains the bus, stops detecting, then waits for queued webhook deliveries. */
  close(): Promise<void>;
}

export function createDetectionCapability(core: PlatformCore, options: DetectionCapabilityOptions = {}): DetectionCapability {
  const rules = options.rules ? validateRules(options.rules) : DEFAULT_RULES;
  const detector = createDetector({ state: core.state, clock: core.clock, rules });
  const alerts = createAlertStore(core.db);
  const raised = new Counter({
    name: 'q2_alerts_total', help: 'Alerts raised by detection rules, by severity',
    labelNames: ['severity'] as const, registers: [core.metrics],
  });
  const url = core.config.notify.alertWebhookUrl;
  if (url && !options.webhookSecret) core.logger.warn('Q2_ALERT_WEBHOOK_URL is set but no webhook secret was given: alerts are not sent');
  const webhook = url && options.webhookSecret
    ? createAlertWebhook({ url, secret: options.webhookSecret, clock: core.clock, logger: core.logger, ...options.webhook })
    : null;

  const unsubscribe = core.events.subscribe('detection', async (event) => {
    for (const hit of await detector.observe(event)) {
      // The triggering event's time, not the (later, queued) detection time: when the attack happened.
      const alert = await alerts.insert(hit, event.time);
      raised.inc({ severity: alert.severity });
      core.events.emit({
        type: 'alert.raised', actor: 'system', target: alert.id, outcome: 'info', ip: event.ip, requestId: event.requestId,
        details: { ruleId: alert.ruleId, ruleVersion: alert.ruleVersion, severity: alert.severity, groupKey: alert.groupKey },
      });
      webhook?.send(alert);
    }
  });

  return {
    name: 'detection',
    alerts,
    routes: [alertRoutes({ alerts, events: core.events, clock: core.clock })],
    async close() {
      await core.events.drain();
      unsubscribe();
      await webhook?.idle();
    },
  };
}
