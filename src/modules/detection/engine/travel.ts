/**
 * Impossible travel: two located events of one group (a user's successful logins) whose
 * implied ground speed exceeds the rule's `maxKmh`. The distance is the great-circle distance
 * minus both locations' accuracy radii (the benefit of the doubt goes to the user); distances
 * below `minKm` after that never fire, which absorbs nearby addresses, mobile carriers' and
 * VPN exits' jitter and country-centroid placements.
 */
import type { SecurityEvent } from '../../../lib/events/index.js';
import { distanceKm } from '../geo/distance.js';
import type { EventSummary, RuleHit, TravelRule } from '../rules/types.js';
import { andThen, type MaybePromise } from '../store/detection-state.js';
import type { EngineKit } from './detector.js';

interface LastSeen {
  lat: number;
  lon: number;
  acc: number;
  country: string;
  event: EventSummary;
}

/** Events in the same second still have a finite speed: no division by zero, no Infinity in alerts. */
const MIN_INTERVAL_MS = 1_000;

/** Speed and distance between two sightings; pure, exported for the boundary tests. */
export function travelBetween(a: { lat: number; lon: number; acc: number }, aTime: number, b: { lat: number; lon: number; acc: number }, bTime: number) {
  const km = Math.max(0, distanceKm(a, b) - a.acc - b.acc);
  const hours = Math.max(MIN_INTERVAL_MS, Math.abs(bTime - aTime)) / 3_600_000;
  return { km, kmh: km / hours };
}

export function travel(kit: EngineKit, rule: TravelRule, key: string, event: SecurityEvent, group: string): MaybePromise<RuleHit | null> {
  const here = event.ip ? kit.geo?.locate(event.ip) : null;
  if (!here) return null;
  const current: LastSeen = { lat: here.lat, lon: here.lon, acc: here.accuracyKm, country: here.country, event: kit.summaryOf(event) };
  // Each sighting replaces the last one (in processing order; the interval is taken in absolute
  // value, so two replicas handling close logins in either order measure the same speed).
  return andThen(kit.ds.update<LastSeen>('t', key, group, rule.windowMs, () => current), (result) => {
    const previous = result?.previous;
    if (!previous) return null;
    const { km, kmh } = travelBetween(previous, previous.event.time, current, event.time);
    if (km < rule.minKm || kmh <= rule.maxKmh) return null;
    return andThen(kit.ds.mark('d', key, group, '', rule.windowMs), (first) => (first ? {
      rule, groupKey: group, events: [previous.event, current.event],
      facts: { km: Math.round(km), kmh: Math.round(kmh), fromCountry: previous.country, toCountry: here.country },
    } : null));
  });
}
