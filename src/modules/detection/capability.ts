/**
 * The detection capability (SPEC §7 intrusion detection): subscribes to the security event bus,
 * runs every event through the rule engine, stores each hit as an alert, emits `alert.raised`
 * and queues the signed webhook. Detection runs in its own bus subscriber, never on the request
 * path; its state is in the shared StateStore so replicas count together.
 */
import { Counter } from 'prom-client';

import { createSettingsRepository } from '../../lib/db/index.js';
import type { Capability, PlatformCore } from '../../server/capability.js';
import { createBaselines } from './baseline/baseline.js';
import type { BaselinePolicy } from './baseline/profile.js';
import { createDetector } from './engine/detector.js';
import { createGeoipLocator, type GeoLocator } from './geo/locator.js';
import { alertRoutes } from './http/routes.js';
import { DEFAULT_RULES } from './rules/defaults.js';
import type { DetectionRule } from './rules/types.js';
import { validateRules } from './rules/validate.js';
import { manifestOf } from './rules/manifest.js';
import { withRulesFile } from './rules/rules-file.js';
import { recordRuleSet } from './store/rule-set-record.js';
import { createAlertStore, type AlertStore } from './store/alert-store.js';
import { createAlertWebhook, type AlertWebhookOptions } from './webhook/alert-webhook.js';

export interface DetectionCapabilityOptions {
  rules?: readonly DetectionRule[];
  /** IP geolocation for travel / new-country rules and baselines; default geoip-lite (loaded lazily), `false` for none. */
  geo?: GeoLocator | false;
  baseline?: BaselinePolicy;
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
  const base = options.rules ? validateRules(options.rules) : DEFAULT_RULES;
  // Q2_DETECTION_RULES_FILE adds rules; a bad file stops the boot (never an inert rule).
  const rules = core.config.detection ? withRulesFile(base, core.config.detection.rulesFile) : base;
  const geo = options.geo === false ? undefined : options.geo ?? createGeoipLocator();
  const detector = createDetector({ state: core.state, clock: core.clock, rules, ...(geo ? { geo } : {}) });
  const baselines = createBaselines({ state: core.state, ...(geo ? { geo } : {}), ...(options.baseline ? { policy: options.baseline } : {}) });
  // Rule changes are audited once per cluster: the replica that records the new set reports it.
  const ruleAudit = recordRuleSet(createSettingsRepository(core.db, core.clock), manifestOf(rules)).then((change) => {
    if (change) core.events.emit({ type: 'detection.rules.changed', actor: 'system', target: change.ruleSet, outcome: 'info', ip: null, requestId: null, details: { ...change } });
  }, (err: unknown) => core.logger.error({ err }, 'could not record the detection rule set'));
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
        details: { ...hit.facts, ruleId: alert.ruleId, ruleVersion: alert.ruleVersion, severity: alert.severity, groupKey: alert.groupKey },
      });
      webhook?.send(alert);
    }
    const anomaly = await baselines.observe(event);
    if (anomaly) {
      // Feeds the network module's adaptive limits; `level: high` also meets the behaviour-anomaly rule.
      core.events.emit({ type: 'detection.anomaly', actor: 'system', target: anomaly.userId, outcome: 'info', ip: event.ip, requestId: event.requestId, details: { ...anomaly } });
    }
  });

  return {
    name: 'detection',
    alerts,
    routes: [alertRoutes({ alerts, events: core.events, clock: core.clock })],
    async close() {
      await ruleAudit;
      await core.events.drain();
      unsubscribe();
      await webhook?.idle();
    },
  };
}
