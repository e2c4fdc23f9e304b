/**
 * Impossible travel: two located events of one group (a user's successful logins) whose
 * implied ground speed exceeds the rule's `maxKmh`. The distance is the great-circle distance
 * minus both locations' accuracy radii (the benefit of the doubt goes to the user); distances
 * below `minKm` after that never fire, which absorbs nearby addresses, mobile carriers' and
 * VPN exits' jitter and country-centroid placements.
 */
import type { SecurityEvent } from '../../../lib/events/index.js';
import { distanceKm } from '../geo/distance.js';
import { summarise } from '../rules/match.js';
import type { EventSummary, RuleHit, TravelRule } from '../rules/types.js';
import { updateJson } from './cas-update.js';
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
export function travelBetween(a: { lat: number; lon: number; acc: number; time: number }, b: { lat: number; lon: number; acc: number; time: number }) {
  const km = Math.max(0, distanceKm(a, b) - a.acc - b.acc);
  const hours = Math.max(MIN_INTERVAL_MS, Math.abs(b.time - a.time)) / 3_600_000;
  return { km, kmh: km / hours };
}

export async function travel(kit: EngineKit, rule: TravelRule, base: string, event: SecurityEvent, group: string): Promise<RuleHit | null> {
  const here = event.ip ? kit.geo?.locate(event.ip) : null;
  if (!here) return null;
  const current: LastSeen = { lat: here.lat, lon: here.lon, acc: here.accuracyKm, country: here.country, event: summarise(event) };
  // Each sighting replaces the last one (in processing order; the interval is taken in absolute
  // value, so two replicas handling close logins in either order measure the same speed).
  const result = await updateJson<LastSeen>(kit.state, `det:t:${base}`, rule.windowMs, () => current);
  const previous = result?.previous;
  if (!previous) return null;
  const { km, kmh } = travelBetween({ ...previous, time: previous.event.time }, { ...current, time: event.time });
  if (km < rule.minKm || kmh <= rule.maxKmh) return null;
  if (!(await kit.firstInWindow(base, rule.windowMs))) return null;
  return {
    rule, groupKey: group, events: [previous.event, current.event],
    facts: { km: Math.round(km), kmh: Math.round(kmh), fromCountry: previous.country, toCountry: here.country },
  };
}
