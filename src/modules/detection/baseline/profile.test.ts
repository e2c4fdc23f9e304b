/**
 * The baseline score formula (docs/detection.md "Behavioural baselines"): warm-up boundary,
 * each feature's surprise, the noisy-OR combination, forgetting and bounds.
 */
import { describe, expect, it } from 'vitest';

import { DEFAULT_BASELINE_POLICY as P, emptyProfile, learn, scoreObservation, type LoginObservation, type Profile } from './profile.js';

const usual: LoginObservation = { kind: 'login', hour: 9, country: 'FR', device: 'd1' };
const profileOf = (logins: number, obs: LoginObservation = usual): Profile => {
  let profile = emptyProfile();
  for (let i = 0; i < logins; i++) profile = learn(profile, obs);
  return profile;
};
const amounts = (values: number[]): Profile => values.reduce((p, amount) => learn(p, { kind: 'amount', amount }), emptyProfile());

describe('warm-up', () => {
  it.each([
    [P.minObservations - 1, false],
    [P.minObservations, true],
    [P.minObservations + 1, true],
  ])('with %i prior logins a score is given: %s', (n, scored) => {
    expect(scoreObservation(profileOf(n), usual) !== null).toBe(scored);
  });

  it.each([
    [P.minObservations - 1, false],
    [P.minObservations, true],
  ])('with %i prior amounts a score is given: %s', (n, scored) => {
    expect(scoreObservation(amounts(Array.from({ length: n }, () => 100)), { kind: 'amount', amount: 100 }) !== null).toBe(scored);
  });
});

describe('score', () => {
  const p = profileOf(20);

  it('is 0 for the usual hour, country and device', () => {
    expect(scoreObservation(p, usual)).toEqual({ score: 0, reasons: [] });
  });

  it('weighs each never-seen feature by its weight', () => {
    expect(scoreObservation(p, { ...usual, device: 'd2' })).toEqual({ score: P.weights.device, reasons: ['new-device'] });
    expect(scoreObservation(p, { ...usual, country: 'JP' })).toEqual({ score: P.weights.country, reasons: ['new-country'] });
    expect(scoreObservation(p, { ...usual, hour: 21 })).toEqual({ score: P.weights.hour, reasons: ['unusual-hour'] });
  });

  it('treats the neighbouring hours as usual (circular ±1 h)', () => {
    expect(scoreObservation(p, { ...usual, hour: 10 })!.score).toBe(0);
    expect(scoreObservation(profileOf(20, { ...usual, hour: 0 }), { ...usual, hour: 23 })!.score).toBe(0);
  });

  it('combines surprises as a noisy-OR: new country and new device together', () => {
    const expected = 1 - (1 - P.weights.country) * (1 - P.weights.device);
    expect(scoreObservation(p, { ...usual, country: 'JP', device: 'd2' })!.score).toBeCloseTo(expected, 3);
    expect(expected).toBeGreaterThanOrEqual(P.alertThreshold);
  });

  it('scales a categorical surprise linearly below the familiar share', () => {
    // 1 login in 20 from JP: share 0.05 = half the familiar share → surprise 0.5.
    let q = profileOf(19);
    q = learn(q, { ...usual, country: 'JP' });
    expect(scoreObservation(q, { ...usual, country: 'JP' })!.score).toBeCloseTo(P.weights.country * 0.5, 3);
  });

  it('scores amounts by z-score of log10: zLow → 0, zHigh and beyond → the full weight, smaller amounts → 0', () => {
    const q = amounts(Array.from({ length: 20 }, (_, i) => (i % 2 ? 100 : 1_000))); // log10: 2 and 3 → mean 2.5, sd 0.5
    const at = (z: number) => scoreObservation(q, { kind: 'amount', amount: 10 ** (2.5 + z * 0.5) })!.score;
    expect(at(P.zLow)).toBeCloseTo(0, 3);
    expect(at((P.zLow + P.zHigh) / 2)).toBeCloseTo(P.weights.amount / 2, 2);
    expect(at(P.zHigh)).toBeCloseTo(P.weights.amount, 3);
    expect(at(10)).toBeCloseTo(P.weights.amount, 3);
    expect(at(-5)).toBe(0);
  });

  it('uses a floor on the spread, so a user who always withdraws the same amount is not flagged for a slightly larger one', () => {
    const q = amounts(Array.from({ length: 20 }, () => 100));
    expect(scoreObservation(q, { kind: 'amount', amount: 110 })!.score).toBe(0);
    expect(scoreObservation(q, { kind: 'amount', amount: 100_000 })!.score).toBe(P.weights.amount);
  });
});

describe('bounds', () => {
  it('keeps at most maxValues countries and devices, dropping the least frequent', () => {
    let q = profileOf(5);
    for (let i = 0; i < P.maxValues + 5; i++) q = learn(q, { ...usual, country: `C${i}`, device: `D${i}` });
    expect(Object.keys(q.logins.countries)).toHaveLength(P.maxValues);
    expect(q.logins.countries.FR).toBe(5);
  });

  it('halves all counts at maxObservations, so old habits fade and counts stay bounded', () => {
    const q = profileOf(P.maxObservations + 1);
    expect(q.logins.n).toBe(P.maxObservations / 2 + 1);
    expect(q.logins.hours[9]).toBe(P.maxObservations / 2 + 1);
  });
});
