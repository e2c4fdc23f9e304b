/**
 * Boundaries of the geolocation rules (travel, new-value) on both state backends: speed just
 * below / at / just above `maxKmh`, distance below / at `minKm`, accuracy radii, and a history of
 * N−1 / N prior logins for new country / new device. Locations come from a fixed table, so the
 * distances are exact; the real database is exercised in geo/locator.test.ts and the attack suite.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createManualClock } from '../../../lib/clock/index.js';
import type { SecurityEvent } from '../../../lib/events/index.js';
import { createStateStore, type StateStore } from '../../../lib/state/index.js';
import { stateBackends, uniqueKeyPrefix } from '../../../../test/support/backends.js';
import { distanceKm } from '../geo/distance.js';
import type { GeoLocation, GeoLocator } from '../geo/locator.js';
import { DEFAULT_RULES } from '../rules/defaults.js';
import type { NewValueRule, TravelRule } from '../rules/types.js';
import { createDetector, type Detector } from './detector.js';
import { travelBetween } from './travel.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
const travelRule = DEFAULT_RULES.find((r) => r.id === 'impossible-travel') as TravelRule;
const countryRule = DEFAULT_RULES.find((r) => r.id === 'new-country') as NewValueRule;
const deviceRule = DEFAULT_RULES.find((r) => r.id === 'new-device') as NewValueRule;

/** Points on the equator: 1° of longitude is the same distance everywhere along it. */
const places: Record<string, GeoLocation> = {
  'home': { country: 'AA', lat: 0, lon: 0, accuracyKm: 0 },
  'far': { country: 'BB', lat: 0, lon: 60, accuracyKm: 0 },
  'fuzzy-far': { country: 'BB', lat: 0, lon: 60, accuracyKm: 100 },
};
const table: GeoLocator = { locate: (ip) => places[ip] ?? null };
/** An address exactly `km` east of home. */
function placeAt(km: number): string {
  const ip = `east-${km}`;
  places[ip] = { country: 'AA', lat: 0, lon: (km / distanceKm({ lat: 0, lon: 0 }, { lat: 0, lon: 1 })), accuracyKm: 0 };
  return ip;
}

let state: StateStore;
let detector: Detector;
let seq = 0;
const login = (user: string, ip: string, time = clock.now(), device = 'dev-1'): SecurityEvent =>
  ({ type: 'auth.login', time, actor: user, target: user, outcome: 'success', ip, requestId: `r${++seq}`, details: { device } });
const fired = async (event: SecurityEvent, id: string) => (await detector.observe(event)).filter((h) => h.rule.id === id);

describe.each(await stateBackends())('on $name state', ({ redisUrl }) => {
  beforeEach(async () => {
    state = await createStateStore({ clock, keyPrefix: uniqueKeyPrefix(), ...(redisUrl ? { redisUrl } : {}) });
    detector = createDetector({ state, clock, rules: DEFAULT_RULES, geo: table });
  });
  afterEach(async () => state.close());

  describe('impossible-travel', () => {
    const km = distanceKm(places.home!, places.far!);
    /** The interval at which home → far is exactly maxKmh. */
    const atLimitMs = Math.ceil(km / travelRule.maxKmh * 3_600_000);
    const t0 = Date.UTC(2026, 11, 4, 12);

    it.each([
      ['just below the speed limit (1 s slower)', atLimitMs + 1_000, false],
      ['at the limit (to the ms: not exceeding)', atLimitMs, false],
      ['just above the speed limit (1 s faster)', atLimitMs - 1_000, true],
    ])('%s', async (_name, intervalMs, expected) => {
      const exact = travelBetween({ ...places.home!, acc: 0 }, t0, { ...places.far!, acc: 0 }, t0 + intervalMs);
      expect(exact.kmh > travelRule.maxKmh).toBe(expected);
      expect(await fired(login('u1', 'home', t0), travelRule.id)).toEqual([]);
      expect(await fired(login('u1', 'far', t0 + intervalMs), travelRule.id)).toHaveLength(expected ? 1 : 0);
    });

    it.each([
      ['below the minimum distance', travelRule.minKm - 1, false],
      ['at the minimum distance', travelRule.minKm, true],
      ['above the minimum distance', travelRule.minKm + 1, true],
    ])('fast but %s (%i km)', async (_name, distance, expected) => {
      // One second apart: any distance here is far beyond airliner speed.
      await detector.observe(login('u2', 'home', clock.now()));
      expect(await fired(login('u2', placeAt(distance), clock.now() + 1_000), travelRule.id)).toHaveLength(expected ? 1 : 0);
    });

    it('subtracts both accuracy radii before measuring', async () => {
      const fuzzyKm = km - places['fuzzy-far']!.accuracyKm;
      const justBelow = Math.round(fuzzyKm / travelRule.maxKmh * 3_600_000) + 1_000;
      await detector.observe(login('u3', 'home', 0));
      // Fast enough for the exact distance, not for the distance minus the 100 km radius.
      expect(km / (justBelow / 3_600_000)).toBeGreaterThan(travelRule.maxKmh);
      expect(await fired(login('u3', 'fuzzy-far', justBelow), travelRule.id)).toEqual([]);
    });

    it('raises one alert with both logins as evidence and the speed as facts, none for the first login or another user', async () => {
      expect(await fired(login('u4', 'home', 0), travelRule.id)).toEqual([]);
      expect(await fired(login('u5', 'far', 60_000), travelRule.id)).toEqual([]);
      const [hit] = await fired(login('u4', 'far', 60_000), travelRule.id);
      expect(hit!.groupKey).toBe('u4');
      expect(hit!.events.map((e) => e.ip)).toEqual(['home', 'far']);
      expect(hit!.facts).toMatchObject({ fromCountry: 'AA', toCountry: 'BB', km: Math.round(km) });
      expect(hit!.facts!.kmh).toBeGreaterThan(travelRule.maxKmh);
      // Back home a minute later: still impossible, but deduplicated for the window.
      expect(await fired(login('u4', 'home', 120_000), travelRule.id)).toEqual([]);
    });

    it('ignores logins that cannot be located', async () => {
      await detector.observe(login('u6', 'home', 0));
      expect(await fired(login('u6', '203.0.113.1', 1_000), travelRule.id)).toEqual([]);
      expect(await fired(login('u6', 'far', 2_000), travelRule.id)).toHaveLength(1);
    });
  });

  describe.each([
    ['new-country', countryRule, (user: string, i: number, fresh: boolean) => login(user, fresh ? 'far' : 'home', clock.now(), `dev-${i}`)],
    ['new-device', deviceRule, (user: string, _i: number, fresh: boolean) => login(user, '203.0.113.1', clock.now(), fresh ? 'dev-new' : 'dev-usual')],
  ])('%s', (id, rule, make) => {
    it.each([
      [rule.minHistory - 1, false],
      [rule.minHistory, true],
      [rule.minHistory + 1, true],
    ])('after %i prior logins, a never-seen value alerts: %s', async (prior, expected) => {
      const user = `nv-${prior}`;
      for (let i = 0; i < prior; i++) expect(await fired(make(user, i, false), id)).toEqual([]);
      expect(await fired(make(user, prior, true), id)).toHaveLength(expected ? 1 : 0);
    });

    it('does not alert for a value already in the history, and learns the new one', async () => {
      for (let i = 0; i < rule.minHistory; i++) await detector.observe(make('nv-known', i, false));
      expect(await fired(make('nv-known', 99, false), id)).toEqual([]);
      expect(await fired(make('nv-known', 100, true), id)).toHaveLength(1);
      clock.advance(rule.windowMs + 1);
      expect(await fired(make('nv-known', 101, true), id)).toEqual([]);
    });
  });

  it('two replicas sharing the state: one travel alert and one new-device alert for concurrent logins', async () => {
    const replica = createDetector({ state, clock, rules: DEFAULT_RULES, geo: table });
    for (let i = 0; i < deviceRule.minHistory; i++) await detector.observe(login('rep', 'home', 1_000 * i, 'usual'));
    const results = await Promise.all([
      detector.observe(login('rep', 'far', 10_000, 'new-1')),
      replica.observe(login('rep', 'far', 10_001, 'new-2')),
      replica.observe(login('rep', 'home', 10_002, 'new-3')),
    ]);
    const ids = results.flat().map((h) => h.rule.id);
    expect(ids.filter((id) => id === travelRule.id)).toHaveLength(1);
    expect(ids.filter((id) => id === deviceRule.id)).toHaveLength(1);
  });
});

// Expiry follows the injected clock only on the in-process state (Redis TTLs use the server clock).
describe('on memory state with a manual clock', () => {
  beforeEach(async () => {
    state = await createStateStore({ clock, keyPrefix: uniqueKeyPrefix() });
    detector = createDetector({ state, clock, rules: DEFAULT_RULES, geo: table });
  });
  afterEach(async () => state.close());

  it('new-value history keeps only the most recent maxValues values', async () => {
    const user = 'nv-bounded';
    for (let i = 0; i <= deviceRule.maxValues; i++) await detector.observe(login(user, '203.0.113.1', clock.now(), `dev-${i}`));
    clock.advance(deviceRule.windowMs + 1);
    // dev-0 was the oldest of maxValues + 1 devices: forgotten, so it is new again.
    expect(await fired(login(user, '203.0.113.1', clock.now(), 'dev-0'), deviceRule.id)).toHaveLength(1);
  });
});
