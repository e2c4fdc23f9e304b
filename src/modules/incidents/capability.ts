/**
 * `createIncidentsCapability(core, deps)`: incident response (SPEC §7, docs/incidents.md). Needs
 * the capabilities whose actions it drives (identity, API keys, network, trading), detection's
 * alert store and the audit log (timeline). Subscribes to `alert.raised` on the bus: each alert
 * is raised on exactly one replica (detection's cluster-wide dedup), and the replica that raised
 * it is the one whose bus carries it, so each alert is handled once; the open-keys table makes
 * concurrent alerts of one (rule, group) on different replicas join one incident.
 */
import type { Capability, PlatformCore } from '../../server/capability.js';
import type { ApiKeysCapability } from '../apikeys/index.js';
import type { AuditCapability } from '../audit/index.js';
import type { DetectionCapability, Severity } from '../detection/index.js';
import type { Identity } from '../identity/capability.js';
import { createCidrSet, type NetworkCapability } from '../network/index.js';
import type { TradingCapability } from '../trading/index.js';
import type { ContainmentPorts } from './containment.js';
import { incidentRoutes } from './http/routes.js';
import { createIncidentMetrics } from './metrics.js';
import { DEFAULT_AUTO_CONTAINMENT, type AutoContainmentPolicy } from './policy.js';
import { createIncidentService, type IncidentService } from './service.js';
import { createIncidentStore } from './store.js';
import { createVulnerabilityStore } from './vulnerabilities.js';

export interface IncidentsCapabilityOptions {
  /** Alerts at or above this severity open (or join) an incident; default `high`. */
  autoOpenSeverity?: Severity;
  /** Rule id → automatic containment; default DEFAULT_AUTO_CONTAINMENT. `{}` turns it off. */
  autoContainment?: AutoContainmentPolicy;
}

export interface IncidentsDeps {
  audit: AuditCapability;
  detection: DetectionCapability;
  identity: Identity;
  apiKeys: ApiKeysCapability;
  network: NetworkCapability;
  trading: TradingCapability;
}

export interface IncidentsCapability extends Capability {
  incidents: IncidentService;
}

/** The containment ports, each backed by the capability that owns the action. */
function containmentPorts(deps: IncidentsDeps): ContainmentPorts {
  const { identity, apiKeys, network, trading } = deps;
  return {
    userExists: async (userId) => (await identity.users.findById(userId)) !== null,
    lockAccount: (userId, ctx) => identity.auth.lockAccount(userId, ctx.actor, { ip: ctx.ip, requestId: ctx.requestId, userAgent: null }),
    revokeSessions: (userId, reason) => identity.auth.revokeSessions(userId, reason),
    revokeApiKeys: (userId, ctx, reason) => apiKeys.service.revokeAll(userId, ctx, reason),
    async blockIp(cidr, options) {
      const rule = await network.protection.blockIp(cidr, options);
      return { ruleId: rule.id, expiresAt: rule.expiresAt };
    },
    async killSwitch(scope, target, reason, ctx) {
      const result = await trading.trading.admin.setKillSwitch({ scope, ...(target === undefined ? {} : { target }), engaged: true, reason }, ctx);
      return { cancelledOrders: result.cancelledOrders };
    },
  };
}

export function createIncidentsCapability(core: PlatformCore, deps: IncidentsDeps, options: IncidentsCapabilityOptions = {}): IncidentsCapability {
  const { db, clock, events, logger } = core;
  const store = createIncidentStore(db.kysely);
  const vulnerabilities = createVulnerabilityStore(db.kysely);
  const metrics = createIncidentMetrics(core.metrics, () => store.countOpen(), (error) => logger.warn({ err: error }, 'counting open incidents failed'));
  // Blocking loopback or a trusted proxy would block every client behind it: never automatic.
  const protectedIps = createCidrSet(['127.0.0.0/8', '::1/128', ...core.config.server.trustProxy]);
  const service = createIncidentService({
    store, alerts: deps.detection.alerts, ports: containmentPorts(deps), audit: deps.audit.logger, events, clock, metrics,
    autoOpenSeverity: options.autoOpenSeverity ?? 'high',
    autoContainment: options.autoContainment ?? DEFAULT_AUTO_CONTAINMENT,
    isProtectedIp: (ip) => protectedIps.has(ip),
  });

  const unsubscribe = events.subscribe('incidents', async (event) => {
    if (event.type !== 'alert.raised' || event.target === null) return;
    await service.onAlertRaised(event.target);
  });

  return {
    name: 'incidents',
    incidents: service,
    routes: [incidentRoutes({ service, store, vulnerabilities, db: db.kysely, events, clock })],
    async close() {
      // Alerts still queued are handled before the stores close.
      await events.drain();
      unsubscribe();
    },
  };
}
