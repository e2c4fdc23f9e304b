/**
 * The admission decisions of the network layer, free of HTTP types: each returns a verdict
 * (allowed with rate information, or refused with a code), never throws for an expected
 * refusal. Order per request, cheapest first:
 *
 *   admitAddress (before routing, body parsing and authentication):
 *     IP rule (deny → IP_BLOCKED; allow → exempt from per-IP limits and bans)
 *     → load shedding (adaptive admission rate) → per-IP bucket (risk-scaled)
 *   admitPrincipal (after authentication):
 *     account / API-key ban → per-account and per-API-key buckets (risk-scaled, in parallel)
 *
 * A refusal that reached the shared store is an offence: it raises the client's risk score
 * and counts toward a recidive ban. The ban is issued before the refusal is answered, so the
 * very next request, on any replica, meets it.
 */
import type { Clock } from '../../lib/clock/index.js';
import type { SecurityEventBus } from '../../lib/events/index.js';
import type { ErrorCode } from '../../lib/errors/index.js';
import { ROUTE_CLASSES, type ClassPolicy, type LimitSpec, type NetworkConfig, type RouteClass } from './config.js';
import { clientIpCidr, clientIpKey } from './ip.js';
import type { LimitDecision, Limiter } from './limiter.js';
import type { OffenceTracker } from './recidive.js';
import { scaleLimit } from './risk.js';
import type { RiskTracker } from './risk-tracker.js';
import type { RuleService } from './rules/service.js';
import type { LoadMonitor } from './shedding.js';
import { createBoundedMap } from './bounded-map.js';

export interface RateInfo {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

export type Verdict =
  | { allowed: true; rate: RateInfo | null }
  | { allowed: false; code: ErrorCode; detail: string; retryAfterSeconds: number | null; rate: RateInfo | null };

export interface RequestFacts {
  ip: string;
  routeClass: RouteClass;
  requestId: string | null;
}

export interface PrincipalFacts extends RequestFacts {
  userId: string;
  apiKeyId?: string | undefined;
}

/** A verdict now (no shared-store trip needed, or the store answers synchronously) or later. */
export type MaybeVerdict = Verdict | Promise<Verdict>;

export interface Admission {
  admitAddress(facts: RequestFacts): MaybeVerdict;
  admitPrincipal(facts: PrincipalFacts): Promise<Verdict>;
}

export interface AdmissionOptions {
  config: NetworkConfig;
  clock: Clock;
  events: SecurityEventBus;
  rules: RuleService;
  limiter: Limiter;
  risk: RiskTracker;
  offences: OffenceTracker;
  load: LoadMonitor;
  onError(error: unknown, what: string): void;
  /** Counts outcomes for /metrics. */
  count(outcome: 'ip_blocked' | 'rate_limited' | 'shed' | 'banned', routeClass: RouteClass, dimension: string): void;
}

/** A decision already has the RateInfo fields; no copy on the hot path. */
const rateOf = (d: LimitDecision): RateInfo => d;

const refuse = (code: ErrorCode, detail: string, retryAfterSeconds: number | null, rate: RateInfo | null = null): Verdict =>
  ({ allowed: false, code, detail, retryAfterSeconds, rate });

const UNLIMITED: Verdict = Object.freeze({ allowed: true, rate: null });

interface AddressIdentity {
  key: string;
  ban: { kind: 'ip'; subject: string };
  bucketKeys: Record<RouteClass, string>;
}

const secondsUntil = (at: number | null, now: number): number | null => (at === null ? null : Math.max(1, Math.ceil((at - now) / 1000)));

export function createAdmission(options: AdmissionOptions): Admission {
  const { config, clock, events, rules, limiter, risk, offences, load } = options;
  const lastEvent = createBoundedMap<string, number>(config.maxTrackedClients);
  /**
   * Address → client key, ban subject and bucket key per class, built once per address rather
   * than per request (parsing and string building are most of a memory decision's cost).
   */
  const identities = createBoundedMap<string, AddressIdentity>(config.maxTrackedClients);
  const identify = (ip: string): AddressIdentity => {
    let identity = identities.get(ip);
    if (identity === undefined) {
      const key = clientIpKey(ip, config.ipv6PrefixLength);
      const bucketKeys = {} as Record<RouteClass, string>;
      for (const name of ROUTE_CLASSES) bucketKeys[name] = `net:rl:ip:${name}:${key}`;
      identity = { key, ban: { kind: 'ip', subject: clientIpCidr(ip, config.ipv6PrefixLength) ?? ip }, bucketKeys };
      identities.set(ip, identity);
    }
    return identity;
  };

  /** At most one event per (type, subject) per dedupe period: a flood must not flood the audit log. */
  function emitOnce(type: string, subject: string, facts: RequestFacts, details: Record<string, unknown>): void {
    const key = `${type}|${subject}`;
    const now = clock.now();
    const last = lastEvent.get(key);
    if (last !== undefined && now - last < config.eventDedupeMs) return;
    lastEvent.set(key, now);
    events.emit({ type, actor: 'system', target: subject, outcome: 'denied', ip: facts.ip, requestId: facts.requestId, details });
  }

  const overloaded = (facts: RequestFacts): Verdict => {
    options.count('shed', facts.routeClass, 'process');
    return refuse('SERVICE_OVERLOADED', 'The server is shedding load; retry later.', config.shedding.retryAfterSeconds);
  };

  /** Counts an offence; returns the ban's Retry-After when this offence earned one. */
  async function offend(clientKey: string, ban: { kind: 'ip' | 'user' | 'apikey'; subject: string }, facts: RequestFacts): Promise<number | null> {
    risk.record(clientKey, 'rate-limited', { ip: facts.ip, requestId: facts.requestId })
      .catch((error: unknown) => options.onError(error, 'record rate-limited signal'));
    try {
      const outcome = await offences.offend(clientKey);
      if (!outcome.ban) return null;
      const { level, durationMs } = outcome.ban;
      await rules.create(
        { kind: ban.kind, subject: ban.subject, action: 'deny', source: 'recidive', expiresAt: clock.now() + durationMs,
          reason: `recidive ban level ${level}: ${config.recidive.maxOffences} rate-limit offences within ${config.recidive.findTimeMs / 1000} s` },
        { actor: 'system', ip: facts.ip, requestId: facts.requestId },
        { level, durationMs, clientKey },
      );
      options.count('banned', facts.routeClass, ban.kind);
      return Math.ceil(durationMs / 1000);
    } catch (error) {
      options.onError(error, 'recidive');
      return null;
    }
  }

  type Limited = Verdict & { decision: LimitDecision };

  function limit(key: string, spec: LimitSpec, clientKey: string, dimension: string, ban: { kind: 'ip' | 'user' | 'apikey'; subject: string }, facts: RequestFacts): Limited | Promise<Limited> {
    const decided = limiter.decide(key, spec);
    if (decided instanceof Promise) return decided.then((decision) => judge(decision, spec, clientKey, dimension, ban, facts));
    return judge(decided, spec, clientKey, dimension, ban, facts);
  }

  function judge(decision: LimitDecision, spec: LimitSpec, clientKey: string, dimension: string, ban: { kind: 'ip' | 'user' | 'apikey'; subject: string }, facts: RequestFacts): Limited | Promise<Limited> {
    if (decision.allowed) return { allowed: true, rate: rateOf(decision), decision };
    return refused(decision, spec, clientKey, dimension, ban, facts);
  }

  async function refused(decision: LimitDecision, spec: LimitSpec, clientKey: string, dimension: string, ban: { kind: 'ip' | 'user' | 'apikey'; subject: string }, facts: RequestFacts): Promise<Limited> {
    options.count('rate_limited', facts.routeClass, dimension);
    emitOnce('network.rate_limited', clientKey, facts, { routeClass: facts.routeClass, dimension, limit: decision.limit, windowMs: spec.windowMs });
    const banSeconds = decision.source === 'cache' ? null : await offend(clientKey, ban, facts);
    if (banSeconds !== null) {
      const code: ErrorCode = ban.kind === 'ip' ? 'IP_BLOCKED' : 'CLIENT_BANNED';
      return { ...refuse(code, 'Temporarily banned after repeated rate-limit violations.', banSeconds), decision };
    }
    return { ...refuse('RATE_LIMITED', `Rate limit of ${decision.limit} requests per ${spec.windowMs / 1000} s exceeded.`, decision.retryAfterSeconds, rateOf(decision)), decision };
  }

  return {
    admitAddress(facts) {
      const now = clock.now();
      const policy: ClassPolicy = config.classes[facts.routeClass];
      const rule = rules.matcher().matchIp(facts.ip, now);
      if (rule?.action === 'deny') {
        options.count('ip_blocked', facts.routeClass, rule.source);
        emitOnce('network.ip_blocked', rule.subject, facts, { ruleId: rule.id, source: rule.source });
        return refuse('IP_BLOCKED', 'Requests from this address are blocked.', secondsUntil(rule.expiresAt, now));
      }
      // Shedding before the limiter: a shed request costs no shared-store round trip.
      if (policy.shed && !load.admit()) return overloaded(facts);
      if (rule?.action === 'allow' || policy.perIp === null) return UNLIMITED;
      const identity = identify(facts.ip);
      const spec = scaleLimit(policy.perIp, risk.factor(identity.key));
      return limit(identity.bucketKeys[facts.routeClass], spec, identity.key, 'ip', identity.ban, facts);
    },

    async admitPrincipal(facts) {
      const now = clock.now();
      const policy: ClassPolicy = config.classes[facts.routeClass];
      const subjects: { kind: 'user' | 'apikey'; id: string }[] = [{ kind: 'user', id: facts.userId }];
      if (facts.apiKeyId !== undefined) subjects.push({ kind: 'apikey', id: facts.apiKeyId });
      for (const subject of subjects) {
        const ban = rules.matcher().subjectBan(`${subject.kind}:${subject.id}`, now);
        if (ban) {
          options.count('banned', facts.routeClass, subject.kind);
          emitOnce('network.client_banned', `${subject.kind}:${subject.id}`, facts, { ruleId: ban.id });
          return refuse('CLIENT_BANNED', 'Temporarily banned after repeated rate-limit violations.', secondsUntil(ban.expiresAt, now));
        }
      }
      const userKey = `user:${facts.userId}`;
      const checks: (Limited | Promise<Limited>)[] = [];
      if (policy.perAccount) {
        const spec = scaleLimit(policy.perAccount, risk.factor(userKey));
        checks.push(limit(`net:rl:acct:${facts.routeClass}:${userKey}`, spec, userKey, 'account', { kind: 'user', subject: facts.userId }, facts));
      }
      if (policy.perApiKey && facts.apiKeyId !== undefined) {
        const keyKey = `apikey:${facts.apiKeyId}`;
        const spec = scaleLimit(policy.perApiKey, Math.min(risk.factor(userKey), risk.factor(keyKey)));
        checks.push(limit(`net:rl:key:${facts.routeClass}:${keyKey}`, spec, keyKey, 'apikey', { kind: 'apikey', subject: facts.apiKeyId }, facts));
      }
      // Both buckets in flight at once: pipelined on one connection, one round trip.
      const verdicts = await Promise.all(checks);
      const refused = verdicts.find((v) => !v.allowed);
      if (refused) return refused;
      let tightest: RateInfo | null = null;
      for (const v of verdicts) if (v.rate && (tightest === null || v.rate.remaining < tightest.remaining)) tightest = v.rate;
      return { allowed: true, rate: tightest };
    },
  };
}
