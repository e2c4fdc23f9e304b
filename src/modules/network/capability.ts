/**
 * `createNetworkCapability(core)`: wires the network layer (docs/network.md) and exposes its
 * programmatic surface to other capabilities: containment (`blockIp`) for incident response,
 * `recordSignal` for detection, and the trading allowlists for the API-key and trading modules.
 */
import { createMemoryStateStore } from '../../lib/state/index.js';
import type { Capability, PlatformCore } from '../../server/capability.js';
import { createIpAllowlists, type IpAllowlists } from './allowlists.js';
import { createBoundedMap } from './bounded-map.js';
import { resolveNetworkConfig, type NetworkConfig, type NetworkConfigOverrides, type SignalKind } from './config.js';
import { createConnectionGuard } from './connections.js';
import { createGate } from './gate.js';
import { clientIpKey, createCidrSet, parseCidr } from './ip.js';
import { createLimiter } from './limiter.js';
import { createNetworkMetrics } from './metrics.js';
import { createAdmission } from './protection.js';
import { createOffenceTracker } from './recidive.js';
import { createRiskTracker, type SignalOptions } from './risk-tracker.js';
import { networkPolicyRoute } from './policy-route.js';
import { networkRoutes } from './routes.js';
import { createRuleRepository } from './rules/repository.js';
import { createRuleService } from './rules/service.js';
import type { ActionContext, NetworkRule } from './rules/types.js';
import { createLoadMonitor, type LoadSample } from './shedding.js';
import { signalFromEvent } from './signals.js';

export interface BlockIpOptions {
  reason: string;
  /** Omitted: until an admin deletes the rule. */
  ttlMs?: number;
  /** Who contains (incident id, user id); `system` by default. */
  actor?: string;
  requestId?: string | null;
}

export interface NetworkProtection {
  readonly config: NetworkConfig;
  /** Feeds a risk signal (detection alerts, anomaly scores) for `ip:…`, `user:…` or `apikey:…`. */
  recordSignal(clientKey: string, kind: SignalKind, options?: SignalOptions): Promise<void>;
  /** Incident containment: denies a CIDR on every replica at once; audited. */
  blockIp(cidr: string, options: BlockIpOptions): Promise<NetworkRule>;
  /** Deletes a rule or lifts a ban by id; false when there was none. */
  unblock(ruleId: string, context?: ActionContext): Promise<boolean>;
  /** The client key an address is counted under (`ip:a.b.c.d`, `ip:<v6 /64>`). */
  clientKeyForIp(ip: string): string;
  readonly allowlists: IpAllowlists;
  /** Current load-shedding pressure in [0, 1]. */
  pressure(): number;
}

export interface NetworkCapability extends Capability {
  protection: NetworkProtection;
}

export interface NetworkCapabilityOptions {
  /** Applied on top of the operator's policy (tests, benchmarks). */
  config?: NetworkConfigOverrides;
  /** Replaces the process load sampler (tests). */
  loadSample?: () => LoadSample;
}

const CLIENT_KEY = /^(ip|user|apikey):[^\s]{1,200}$/;

export async function createNetworkCapability(core: PlatformCore, options: NetworkCapabilityOptions = {}): Promise<NetworkCapability> {
  // The operator's policy (Q2_NETWORK_POLICY_FILE, validated at boot), then code overrides.
  const config = resolveNetworkConfig(options.config, core.config.network?.policy);
  const { clock, events, state, logger } = core;
  const onError = (error: unknown, what: string) => logger.warn({ err: error, what }, 'network protection problem');

  const repository = createRuleRepository(core.db.kysely);
  const rules = createRuleService({ repository, state, events, clock, resyncMs: config.rulesResyncMs, onError });
  const risk = createRiskTracker({ state, events, clock, config: config.adaptive, maxTracked: config.maxTrackedClients, onError });
  const allowlists = createIpAllowlists({ db: core.db.kysely, state, events, clock, cacheMs: 30_000, maxCached: config.maxTrackedClients });
  const fallback = createMemoryStateStore({ clock, maxKeys: config.maxTrackedClients });
  const load = createLoadMonitor({
    config: config.shedding,
    ...(options.loadSample ? { sample: options.loadSample } : {}),
    onChange(shedding, pressure, sample) {
      events.emit({
        type: shedding ? 'network.shedding_started' : 'network.shedding_stopped',
        actor: 'system', outcome: 'info',
        details: { pressure, eventLoopDelayMs: Math.round(sample.eventLoopDelayMs), heapUsedRatio: Math.round(sample.heapUsedRatio * 1000) / 1000 },
      });
    },
  });
  const metrics = createNetworkMetrics(core.metrics, () => load.pressure());
  const limiter = createLimiter({
    state, fallback, clock, maxTracked: config.maxTrackedClients,
    onStoreError(error) {
      metrics.storeFallbacks.inc();
      onError(error, 'shared limiter store failed; per-process fallback decided');
    },
  });
  const admission = createAdmission({
    config, clock, events, rules, limiter, risk, load, onError,
    offences: createOffenceTracker(state, config.recidive),
    count: (outcome, routeClass, dimension) => metrics.refused.inc({ outcome, class: routeClass, dimension }),
  });
  const trusted = createCidrSet(core.config.server.trustProxy);
  const connections = createConnectionGuard({
    config: config.connections,
    isTrustedPeer: (ip) => trusted.has(ip),
    onRefused(ip, open) {
      metrics.connectionsRefused.inc();
      admissionEventOnce('network.connection_refused', ip, { open, maxPerIp: config.connections.maxPerIp });
    },
    onDropped(ip, reason) {
      metrics.slowClients.inc({ phase: reason });
      admissionEventOnce('network.slow_client_dropped', ip, { reason });
    },
  });
  const lastConnectionEvent = createBoundedMap<string, number>(config.maxTrackedClients);
  /** One event per address and kind per dedupe period: a slowloris must not flood the audit log. */
  function admissionEventOnce(type: string, ip: string, details: Record<string, unknown>): void {
    const key = `${type}|${ip}`;
    const now = clock.now();
    const last = lastConnectionEvent.get(key);
    if (last !== undefined && now - last < config.eventDedupeMs) return;
    lastConnectionEvent.set(key, now);
    events.emit({ type, actor: 'system', target: ip, outcome: 'denied', ip, details });
  }

  const unsubscribeEvents = events.subscribe('network-signals', async (event) => {
    const signal = signalFromEvent(event, (ip) => clientIpKey(ip, config.ipv6PrefixLength), config.adaptive.weights);
    if (!signal) return;
    await Promise.all(signal.subjects.map((subject) =>
      risk.record(subject, signal.kind, { ...(signal.weight === undefined ? {} : { weight: signal.weight }), ip: event.ip, requestId: event.requestId })));
  });
  await rules.start();
  await risk.start();
  await allowlists.start();

  const protection: NetworkProtection = {
    config,
    async recordSignal(clientKey, kind, signalOptions) {
      if (!CLIENT_KEY.test(clientKey)) throw new TypeError('clientKey must be ip:…, user:… or apikey:…');
      await risk.record(clientKey, kind, signalOptions);
    },
    async blockIp(text, block) {
      const cidr = parseCidr(text);
      if (!cidr) throw new TypeError('blockIp needs an IPv4/IPv6 address or CIDR with zero host bits');
      if (block.ttlMs !== undefined && !(Number.isSafeInteger(block.ttlMs) && block.ttlMs > 0)) throw new TypeError('ttlMs must be a positive integer');
      return rules.create(
        { kind: 'ip', subject: cidr.text, action: 'deny', source: 'containment', reason: block.reason.slice(0, 200),
          expiresAt: block.ttlMs === undefined ? null : clock.now() + block.ttlMs },
        { actor: block.actor ?? 'system', requestId: block.requestId ?? null },
      );
    },
    async unblock(ruleId, context = { actor: 'system' }) {
      return (await rules.remove(ruleId, context)) !== null;
    },
    clientKeyForIp: (ip) => clientIpKey(ip, config.ipv6PrefixLength),
    allowlists,
    pressure: () => load.pressure(),
  };

  return {
    name: 'network',
    protection,
    onRequest(app) {
      // Sampling starts once the app is built: boot-time synchronous work is not load.
      app.addHook('onReady', async () => load.start());
      connections.install(app.server);
      createGate({ config, admission, allowlists, connections })(app);
    },
    routes: [
      networkRoutes({ rules, repository, allowlists, now: () => clock.now() }),
      networkPolicyRoute({ config, file: core.config.network?.policyFile ?? null }),
    ],
    async close() {
      unsubscribeEvents();
      load.stop();
      connections.close();
      await Promise.all([rules.stop(), risk.stop(), allowlists.stop()]);
      await fallback.close();
    },
  };
}
