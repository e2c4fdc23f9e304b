/**
 * The network-protection policy: one declared limit set per route class, the adaptive
 * (risk-scored) scaling of those limits, recidive bans, load shedding and slow-client bounds.
 * Defaults are below; an operator overrides any part of them with a JSON policy file
 * (`Q2_NETWORK_POLICY_FILE`, read and validated by `loadConfig` at boot), and code (tests, the
 * bench) with `createNetworkCapability(core, { config })` on top of that. `resolveNetworkConfig`
 * validates once and freezes (STYLE §8); unknown settings are refused, since a misspelt
 * setting silently keeping its default is the worst outcome for a security policy.
 */

/** Route classes a route declares with `config: { rateLimit: … }`; `default` when it declares none. */
export const ROUTE_CLASSES = ['auth', 'trading', 'read', 'admin', 'health', 'default'] as const;
export type RouteClass = (typeof ROUTE_CLASSES)[number];

/** Signals that move a client's risk score (positive weights tighten, negative relax). */
export const SIGNAL_KINDS = [
  'auth-failure', 'signature-invalid', 'rate-limited', 'detection-alert', 'anomaly', 'auth-success', 'good-standing',
] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

/** A token bucket: `limit` requests of burst, refilled at `limit` per `windowMs`. */
export interface LimitSpec {
  limit: number;
  windowMs: number;
}

export interface ClassPolicy {
  perIp: LimitSpec | null;
  /** Applies to every authenticated principal (bearer or API key) by user id. */
  perAccount: LimitSpec | null;
  /** Applies in addition to perAccount when the principal is an API key. */
  perApiKey: LimitSpec | null;
  /** Request body cap for routes of this class that set none themselves; null = server default. */
  bodyLimitBytes: number | null;
  /** False keeps the class serving under load shedding (health probes, admin). */
  shed: boolean;
}

export interface RiskTier {
  name: string;
  /** The tier applies from this score up to the next tier's minScore (exclusive). */
  minScore: number;
  /** Multiplier on every limit of the client while in this tier. */
  factor: number;
}

export interface AdaptiveConfig {
  /** The score halves every halfLifeMs without new signals (good behaviour is forgiven). */
  halfLifeMs: number;
  minScore: number;
  maxScore: number;
  /** Bounds on any tier factor, whatever the tiers say. */
  minFactor: number;
  maxFactor: number;
  weights: Readonly<Record<SignalKind, number>>;
  /** Ascending by minScore; the first tier's minScore must be ≤ minScore. */
  tiers: readonly RiskTier[];
}

export interface RecidiveConfig {
  /** Offences (refused decisions that reached the shared limiter) within findTimeMs that earn a ban. */
  maxOffences: number;
  findTimeMs: number;
  /** Ban n lasts min(banBaseMs × banFactor^(n-1), banMaxMs). */
  banBaseMs: number;
  banFactor: number;
  banMaxMs: number;
  /** How long a client's ban count is remembered after its last ban. */
  levelMemoryMs: number;
}

export interface SheddingConfig {
  sampleIntervalMs: number;
  /** Event-loop delay (worst over one sample) where shedding starts, and where it sheds everything. */
  delayStartMs: number;
  delayFullMs: number;
  /** heapUsed / heap limit where shedding starts, and where it sheds everything. */
  heapStartRatio: number;
  heapFullRatio: number;
  retryAfterSeconds: number;
  /** Floor of the admission rate while shedding, requests/s. */
  minAdmitPerSecond: number;
}

export interface ConnectionConfig {
  /** Simultaneous TCP connections from one address (trusted proxies exempt). */
  maxPerIp: number;
  /** From TCP accept to the end of the first request's headers (TLS handshake included). */
  firstRequestDeadlineMs: number;
  /** A body slower than this (after bodyGraceMs) is cut with 408. */
  minBodyBytesPerSecond: number;
  bodyGraceMs: number;
  /** Period of the one timer that enforces both deadlines. */
  checkIntervalMs: number;
}

export interface NetworkConfig {
  classes: Readonly<Record<RouteClass, ClassPolicy>>;
  adaptive: AdaptiveConfig;
  recidive: RecidiveConfig;
  shedding: SheddingConfig;
  connections: ConnectionConfig;
  /** IPv6 clients are counted and banned per network of this length. */
  ipv6PrefixLength: number;
  /** Full reload of rules and bans from the database (covers missed pub/sub messages). */
  rulesResyncMs: number;
  /** At most one event per client and kind (rate_limited, blocked, …) per this period. */
  eventDedupeMs: number;
  /** Bound on the per-process caches (risk tiers, refusals, event dedupe). */
  maxTrackedClients: number;
}

const MINUTE = 60_000;

const cls = (perIp: number | null, perAccount: number | null, perApiKey: number | null, bodyLimitBytes: number | null, shed = true): ClassPolicy => ({
  perIp: perIp === null ? null : { limit: perIp, windowMs: MINUTE },
  perAccount: perAccount === null ? null : { limit: perAccount, windowMs: MINUTE },
  perApiKey: perApiKey === null ? null : { limit: perApiKey, windowMs: MINUTE },
  bodyLimitBytes,
  shed,
});

export const DEFAULT_NETWORK_CONFIG: NetworkConfig = {
  classes: {
    // Login/registration run Argon2id: the per-IP budget is what keeps hashing affordable.
    auth: cls(60, null, null, 8 * 1024),
    // One API key gets half its account's budget, so a runaway bot cannot starve the owner's
    // other keys and interactive session.
    trading: cls(1200, 1200, 600, 16 * 1024),
    read: cls(2400, 2400, 1200, 4 * 1024),
    admin: cls(600, 600, null, null, false),
    health: cls(1200, null, null, 1024, false),
    default: cls(600, 1200, 600, null),
  },
  adaptive: {
    halfLifeMs: 15 * MINUTE,
    minScore: -100,
    maxScore: 1000,
    minFactor: 0.05,
    maxFactor: 2,
    weights: {
      // Gentle: the identity module already locks accounts and addresses on login failures.
      'auth-failure': 2,
      'signature-invalid': 10,
      'rate-limited': 5,
      'detection-alert': 40,
      anomaly: 1,
      'auth-success': -2,
      'good-standing': -10,
    },
    tiers: [
      { name: 'trusted', minScore: -100, factor: 1.5 },
      { name: 'normal', minScore: -20, factor: 1 },
      { name: 'elevated', minScore: 30, factor: 0.5 },
      { name: 'high', minScore: 60, factor: 0.25 },
      { name: 'critical', minScore: 120, factor: 0.1 },
    ],
  },
  recidive: {
    maxOffences: 10,
    findTimeMs: 10 * MINUTE,
    banBaseMs: 2 * MINUTE,
    banFactor: 4,
    banMaxMs: 3 * 24 * 60 * MINUTE,
    levelMemoryMs: 7 * 24 * 60 * MINUTE,
  },
  shedding: {
    sampleIntervalMs: 100,
    delayStartMs: 200,
    delayFullMs: 1_000,
    heapStartRatio: 0.85,
    heapFullRatio: 0.95,
    retryAfterSeconds: 2,
    minAdmitPerSecond: 20,
  },
  connections: {
    maxPerIp: 64,
    firstRequestDeadlineMs: 10_000,
    minBodyBytesPerSecond: 512,
    bodyGraceMs: 3_000,
    checkIntervalMs: 500,
  },
  ipv6PrefixLength: 64,
  rulesResyncMs: 30_000,
  eventDedupeMs: MINUTE,
  maxTrackedClients: 100_000,
};

export type NetworkConfigOverrides = {
  [K in keyof NetworkConfig]?: NetworkConfig[K] extends readonly unknown[] ? NetworkConfig[K]
    : NetworkConfig[K] extends object ? { [P in keyof NetworkConfig[K]]?: Partial<NetworkConfig[K][P]> } : NetworkConfig[K];
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Limit specs may be switched off (`null`) or on where the default has none. */
const NULLABLE = new Set(['perIp', 'perAccount', 'perApiKey', 'bodyLimitBytes']);

/** Deep merge of `over` onto `base`, refusing settings the base does not have. */
function merge<T>(base: T, over: unknown, where: string): T {
  if (over === undefined) return base;
  const name = where.slice(where.lastIndexOf('.') + 1);
  if (over === null) {
    check(NULLABLE.has(name), `${where} may not be null`);
    return over as T;
  }
  if (base === null) {
    // A limit switched on where the default has none: its shape is checked by the validation.
    return over as T;
  }
  if (!isPlainObject(base)) {
    check(Array.isArray(base) ? Array.isArray(over) : typeof over === typeof base, `${where} must be ${Array.isArray(base) ? 'an array' : `a ${typeof base}`}`);
    return over as T;
  }
  check(isPlainObject(over), `${where} must be an object`);
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over as Record<string, unknown>)) {
    check(Object.hasOwn(base, key), `unknown setting ${where ? `${where}.` : ''}${key}`);
    out[key] = merge(out[key], value, where ? `${where}.${key}` : key);
  }
  return out as T;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new TypeError(`network config: ${what}`);
}

const positive = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n > 0;
const positiveInt = (n: unknown): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;

function checkLimit(spec: LimitSpec | null, where: string): void {
  if (spec === null) return;
  check(isPlainObject(spec) && Object.keys(spec).every((k) => k === 'limit' || k === 'windowMs'), `${where} has only limit and windowMs`);
  check(positiveInt(spec.limit) && positiveInt(spec.windowMs), `${where} needs a positive integer limit and windowMs`);
}

/**
 * Merges overrides onto `base` (the defaults, or an already resolved policy such as the
 * operator's), validates, and deep-freezes. Misconfiguration is a TypeError naming the setting.
 */
export function resolveNetworkConfig(overrides: NetworkConfigOverrides = {}, base: NetworkConfig = DEFAULT_NETWORK_CONFIG): NetworkConfig {
  const config = merge(base, overrides, '');
  for (const name of ROUTE_CLASSES) {
    const policy = config.classes[name];
    check(policy !== undefined, `missing route class ${name}`);
    checkLimit(policy.perIp, `classes.${name}.perIp`);
    checkLimit(policy.perAccount, `classes.${name}.perAccount`);
    checkLimit(policy.perApiKey, `classes.${name}.perApiKey`);
    check(policy.bodyLimitBytes === null || positiveInt(policy.bodyLimitBytes), `classes.${name}.bodyLimitBytes`);
    check(typeof policy.shed === 'boolean', `classes.${name}.shed`);
  }
  const a = config.adaptive;
  check(positiveInt(a.halfLifeMs), 'adaptive.halfLifeMs');
  check(Number.isFinite(a.minScore) && Number.isFinite(a.maxScore) && a.minScore <= 0 && a.maxScore > 0, 'adaptive score bounds must contain 0');
  check(positive(a.minFactor) && a.minFactor <= 1 && positive(a.maxFactor) && a.maxFactor >= 1, 'adaptive factor bounds must contain 1');
  check(a.tiers.length > 0 && (a.tiers[0] as RiskTier).minScore <= a.minScore, 'adaptive.tiers must start at or below minScore');
  a.tiers.forEach((tier, i) => {
    check(isPlainObject(tier) && typeof tier.name === 'string' && tier.name.length > 0 && tier.name.length <= 32, `adaptive.tiers[${i}].name`);
    check(Number.isFinite(tier.minScore), `adaptive.tiers[${i}].minScore`);
    check(positive(tier.factor), `adaptive.tiers[${i}].factor`);
    check(i === 0 || tier.minScore > (a.tiers[i - 1] as RiskTier).minScore, 'adaptive.tiers must ascend by minScore');
  });
  for (const kind of SIGNAL_KINDS) check(Number.isFinite(a.weights[kind]), `adaptive.weights.${kind}`);
  const r = config.recidive;
  check(positiveInt(r.maxOffences) && positiveInt(r.findTimeMs), 'recidive.maxOffences/findTimeMs');
  check(positiveInt(r.banBaseMs) && Number.isFinite(r.banFactor) && r.banFactor >= 1 && positiveInt(r.banMaxMs) && r.banMaxMs >= r.banBaseMs && positiveInt(r.levelMemoryMs), 'recidive ban durations');
  const s = config.shedding;
  check(positiveInt(s.sampleIntervalMs) && positive(s.delayStartMs) && positive(s.delayFullMs) && s.delayFullMs > s.delayStartMs, 'shedding delay thresholds');
  check(positive(s.heapStartRatio) && positive(s.heapFullRatio) && s.heapFullRatio > s.heapStartRatio && s.heapFullRatio <= 1, 'shedding heap thresholds');
  check(positiveInt(s.retryAfterSeconds) && positive(s.minAdmitPerSecond), 'shedding.retryAfterSeconds/minAdmitPerSecond');
  const c = config.connections;
  check(positiveInt(c.maxPerIp) && positiveInt(c.firstRequestDeadlineMs) && positiveInt(c.checkIntervalMs), 'connections limits');
  check(Number.isFinite(c.minBodyBytesPerSecond) && c.minBodyBytesPerSecond >= 0 && Number.isSafeInteger(c.bodyGraceMs) && c.bodyGraceMs >= 0, 'connections body rate');
  check(Number.isInteger(config.ipv6PrefixLength) && config.ipv6PrefixLength >= 32 && config.ipv6PrefixLength <= 128, 'ipv6PrefixLength in 32..128');
  check(positiveInt(config.rulesResyncMs) && positiveInt(config.eventDedupeMs) && positiveInt(config.maxTrackedClients), 'timers and cache bounds');
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
