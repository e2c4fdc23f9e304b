/**
 * Per-user behavioural baseline and its anomaly score (SPEC §7 "per-user behavioural
 * baselines"). Pure functions over a small JSON profile: the caller stores it.
 *
 * Features and their surprise s ∈ [0, 1]:
 *  - hour     (logins): share f of the user's logins in the same UTC hour ±1 (circular);
 *  - country  (logins): share f of the user's logins from that country;
 *  - device   (logins): share f of the user's logins with that device fingerprint;
 *    each categorical s = 1 − min(1, f / familiarShare)  (never seen → 1; ≥ familiarShare → 0);
 *  - amount   (withdrawals): z = (log10 amount − mean) / max(sd, minSd) over the user's past
 *    amounts; s = clamp((z − zLow) / (zHigh − zLow), 0, 1) — only larger than usual counts.
 * Score = 1 − Π(1 − wᵢ·sᵢ) over the event's features (a weighted noisy-OR: one strong surprise
 * is enough, several weak ones add up, the result stays in [0, 1]).
 * Warm-up: no score until the feature group has `minObservations` observations.
 * Forgetting: when a group reaches `maxObservations`, all its counts are halved, so old habits
 * fade and the profile stays bounded; categorical maps keep at most `maxValues` entries.
 */

export interface BaselinePolicy {
  minObservations: number;
  maxObservations: number;
  maxValues: number;
  familiarShare: number;
  zLow: number;
  zHigh: number;
  minSd: number;
  weights: Readonly<{ hour: number; country: number; device: number; amount: number }>;
  /** Score from which a `detection.anomaly` event is emitted (feeds the network's adaptive limits). */
  anomalyThreshold: number;
  /** Score from which the anomaly is marked `level: high` (the `behaviour-anomaly` rule alerts). */
  alertThreshold: number;
}

export const DEFAULT_BASELINE_POLICY: BaselinePolicy = Object.freeze({
  minObservations: 10, maxObservations: 500, maxValues: 20, familiarShare: 0.1,
  zLow: 2, zHigh: 4, minSd: 0.1,
  weights: Object.freeze({ hour: 0.3, country: 0.8, device: 0.5, amount: 0.8 }),
  anomalyThreshold: 0.5, alertThreshold: 0.8,
});

export interface Profile {
  logins: { n: number; hours: number[]; countries: Record<string, number>; devices: Record<string, number> };
  /** Welford running mean / sum of squared deviations of log10(amount). */
  amounts: { n: number; mean: number; m2: number };
}

export interface LoginObservation { kind: 'login'; hour: number; country: string | null; device: string | null }
export interface AmountObservation { kind: 'amount'; amount: number }
export type Observation = LoginObservation | AmountObservation;

export interface Score {
  score: number;
  reasons: string[];
}

export const emptyProfile = (): Profile => ({
  logins: { n: 0, hours: new Array<number>(24).fill(0), countries: {}, devices: {} },
  amounts: { n: 0, mean: 0, m2: 0 },
});

const categorical = (count: number, n: number, policy: BaselinePolicy) => 1 - Math.min(1, count / n / policy.familiarShare);

/** The surprise of each feature of the observation, or null during warm-up. */
export function scoreObservation(profile: Profile, obs: Observation, policy: BaselinePolicy = DEFAULT_BASELINE_POLICY): Score | null {
  const parts: [string, number, number][] = [];
  if (obs.kind === 'login') {
    const { n, hours, countries, devices } = profile.logins;
    if (n < policy.minObservations) return null;
    const around = hours[(obs.hour + 23) % 24]! + hours[obs.hour]! + hours[(obs.hour + 1) % 24]!;
    parts.push(['unusual-hour', policy.weights.hour, categorical(around, n, policy)]);
    if (obs.country !== null) parts.push(['new-country', policy.weights.country, categorical(countries[obs.country] ?? 0, n, policy)]);
    if (obs.device !== null) parts.push(['new-device', policy.weights.device, categorical(devices[obs.device] ?? 0, n, policy)]);
  } else {
    const { n, mean, m2 } = profile.amounts;
    if (n < policy.minObservations) return null;
    const sd = Math.max(policy.minSd, Math.sqrt(m2 / n));
    const z = (Math.log10(obs.amount) - mean) / sd;
    parts.push(['large-amount', policy.weights.amount, Math.min(1, Math.max(0, (z - policy.zLow) / (policy.zHigh - policy.zLow)))]);
  }
  let calm = 1;
  const reasons: string[] = [];
  for (const [reason, weight, surprise] of parts) {
    calm *= 1 - weight * surprise;
    if (surprise > 0) reasons.push(reason);
  }
  return { score: Math.round((1 - calm) * 1_000) / 1_000, reasons };
}

function bump(map: Record<string, number>, key: string, maxValues: number): Record<string, number> {
  const next = { ...map, [key]: (map[key] ?? 0) + 1 };
  const keys = Object.keys(next);
  if (keys.length > maxValues) {
    // Drop the least frequent value other than the one just seen.
    const victim = keys.filter((k) => k !== key).reduce((a, b) => (next[a]! <= next[b]! ? a : b));
    delete next[victim];
  }
  return next;
}

const halve = (map: Record<string, number>) => Object.fromEntries(Object.entries(map).map(([k, v]) => [k, v / 2]).filter(([, v]) => (v as number) >= 0.5));

/** The profile with the observation learnt (a new object; the input is not modified). */
export function learn(profile: Profile, obs: Observation, policy: BaselinePolicy = DEFAULT_BASELINE_POLICY): Profile {
  if (obs.kind === 'amount') {
    let { n, mean, m2 } = profile.amounts;
    if (n >= policy.maxObservations) { n /= 2; m2 /= 2; }
    const x = Math.log10(obs.amount);
    n += 1;
    const delta = x - mean;
    mean += delta / n;
    m2 += delta * (x - mean);
    return { ...profile, amounts: { n, mean, m2 } };
  }
  let { n, hours, countries, devices } = profile.logins;
  if (n >= policy.maxObservations) {
    n /= 2;
    hours = hours.map((c) => c / 2);
    countries = halve(countries);
    devices = halve(devices);
  }
  hours = hours.map((c, h) => (h === obs.hour ? c + 1 : c));
  if (obs.country !== null) countries = bump(countries, obs.country, policy.maxValues);
  if (obs.device !== null) devices = bump(devices, obs.device, policy.maxValues);
  return { ...profile, logins: { n: n + 1, hours, countries, devices } };
}
