/**
 * Per-symbol feed policy (SPEC §6): price bounds (Chainlink's min/max answer), maximum step per
 * update, the exchange-index rules (a source more than `maxDeviationBps` from the median is
 * excluded, a source older than `sourceStalenessMs` is dropped), the quorum, the heartbeat after
 * which a price is stale, anomaly thresholds and the recovery time of a halt.
 *
 * All price arithmetic is integer (`bigint` at PRICE_SCALE fractional digits); thresholds are
 * integer basis points. Only the jump statistic (anomaly/robust-z.ts) uses floats.
 */
import { formatDecimal, parseDecimal } from '../../lib/money/decimal.js';

/** Fractional digits of every internal price integer. Sources may publish fewer (`priceDecimals`). */
export const PRICE_SCALE = 18;

export type RestingOrdersOnHalt = 'keep' | 'cancel';

/** The stored, JSON-safe form (what the admin API accepts and returns). */
export interface SymbolPolicyDocument {
  minPrice: string;
  maxPrice: string;
  priceDecimals: number;
  quorum: number;
  maxDeviationBps: number;
  maxStepBps: number;
  sourceStalenessMs: number;
  heartbeatMs: number;
  maxFutureSkewMs: number;
  jumpZ: number;
  jumpMinBps: number;
  jumpMaxBps: number;
  volatilityWindow: number;
  volatilityMinSamples: number;
  flatlineMs: number;
  recoveryMs: number;
  exclusionAlertCount: number;
  exclusionAlertWindowMs: number;
  restingOrdersOnHalt: RestingOrdersOnHalt;
}

export interface SymbolPolicy extends Omit<SymbolPolicyDocument, 'minPrice' | 'maxPrice'> {
  symbol: string;
  minPrice: bigint;
  maxPrice: bigint;
  /** 10^(PRICE_SCALE − priceDecimals): the smallest price step a source can publish. */
  unit: bigint;
  document: Readonly<SymbolPolicyDocument>;
}

export const POLICY_DEFAULTS: Readonly<Omit<SymbolPolicyDocument, 'minPrice' | 'maxPrice'>> = Object.freeze({
  priceDecimals: 8,
  // At least this many fresh, agreeing sources; raised to a majority of the symbol's sources.
  quorum: 3,
  maxDeviationBps: 300,
  maxStepBps: 1_000,
  sourceStalenessMs: 5_000,
  heartbeatMs: 3_000,
  maxFutureSkewMs: 1_000,
  jumpZ: 8,
  jumpMinBps: 50,
  // Below maxStepBps on purpose: one source may step 10%, the reference may not move 5% at once.
  jumpMaxBps: 500,
  volatilityWindow: 200,
  volatilityMinSamples: 20,
  flatlineMs: 60_000,
  recoveryMs: 30_000,
  exclusionAlertCount: 5,
  exclusionAlertWindowMs: 5 * 60_000,
  restingOrdersOnHalt: 'keep',
});

/** Inclusive integer ranges of each numeric field; the admin route schema is built from these. */
export const POLICY_LIMITS = {
  priceDecimals: [0, PRICE_SCALE],
  quorum: [1, 64],
  maxDeviationBps: [1, 5_000],
  maxStepBps: [1, 100_000],
  sourceStalenessMs: [500, 3_600_000],
  heartbeatMs: [100, 3_600_000],
  maxFutureSkewMs: [0, 60_000],
  jumpZ: [2, 1_000],
  jumpMinBps: [0, 100_000],
  jumpMaxBps: [1, 100_000],
  volatilityWindow: [10, 5_000],
  volatilityMinSamples: [2, 5_000],
  flatlineMs: [0, 86_400_000],
  recoveryMs: [0, 86_400_000],
  exclusionAlertCount: [1, 10_000],
  exclusionAlertWindowMs: [1_000, 86_400_000],
} as const satisfies Record<string, readonly [number, number]>;

export type PolicyInput = Partial<Omit<SymbolPolicyDocument, 'minPrice' | 'maxPrice'>> & { minPrice: string; maxPrice: string };

export type PolicyVerdict = { ok: true; policy: SymbolPolicy } | { ok: false; field: string; reason: string };

/**
 * Validates an admin's policy (defaults filled in) into a resolved SymbolPolicy. Cross-field
 * rules: 0 < minPrice < maxPrice, heartbeat ≤ staleness, jumpMinBps < jumpMaxBps, min samples ≤
 * window. A rejected field is a returned verdict (the route answers VALIDATION_FAILED with it).
 */
export function resolvePolicy(symbol: string, input: PolicyInput): PolicyVerdict {
  const doc: SymbolPolicyDocument = { ...POLICY_DEFAULTS, ...input };
  for (const [field, [min, max]] of Object.entries(POLICY_LIMITS)) {
    const value = doc[field as keyof typeof POLICY_LIMITS];
    const integral = field === 'jumpZ' ? Number.isFinite(value) : Number.isSafeInteger(value);
    if (!integral || value < min || value > max) return { ok: false, field, reason: `must be ${field === 'jumpZ' ? 'a number' : 'an integer'} in ${min}..${max}` };
  }
  if (doc.restingOrdersOnHalt !== 'keep' && doc.restingOrdersOnHalt !== 'cancel') return { ok: false, field: 'restingOrdersOnHalt', reason: 'must be keep or cancel' };
  const min = parseDecimal(doc.minPrice, doc.priceDecimals);
  const max = parseDecimal(doc.maxPrice, doc.priceDecimals);
  if (!min.ok) return { ok: false, field: 'minPrice', reason: `not a decimal with at most ${doc.priceDecimals} fractional digits` };
  if (!max.ok) return { ok: false, field: 'maxPrice', reason: `not a decimal with at most ${doc.priceDecimals} fractional digits` };
  if (min.value <= 0n) return { ok: false, field: 'minPrice', reason: 'must be above zero' };
  if (max.value <= min.value) return { ok: false, field: 'maxPrice', reason: 'must be above minPrice' };
  if (doc.heartbeatMs > doc.sourceStalenessMs) return { ok: false, field: 'heartbeatMs', reason: 'must not exceed sourceStalenessMs' };
  if (doc.jumpMinBps >= doc.jumpMaxBps) return { ok: false, field: 'jumpMinBps', reason: 'must be below jumpMaxBps' };
  if (doc.volatilityMinSamples > doc.volatilityWindow) return { ok: false, field: 'volatilityMinSamples', reason: 'must not exceed volatilityWindow' };
  const shift = 10n ** BigInt(PRICE_SCALE - doc.priceDecimals);
  // Store the bounds in their shortest form so the document round-trips byte for byte.
  const document = Object.freeze({ ...doc, minPrice: formatDecimal(min.value, doc.priceDecimals), maxPrice: formatDecimal(max.value, doc.priceDecimals) });
  return {
    ok: true,
    policy: Object.freeze({ ...doc, symbol, minPrice: min.value * shift, maxPrice: max.value * shift, unit: shift, document }),
  };
}

/**
 * The quorum actually required: the configured one, raised to a strict majority of the sources
 * allowed to publish the symbol, so that a minority of sources (say, compromised ones whose
 * honest peers an attacker made stale) can never set the price on its own.
 */
export function effectiveQuorum(policy: Pick<SymbolPolicy, 'quorum'>, allowedSources: number): number {
  return Math.max(policy.quorum, Math.floor(allowedSources / 2) + 1);
}
