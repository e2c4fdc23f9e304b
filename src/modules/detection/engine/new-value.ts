/**
 * New value for an established group: a user who has logged in at least `minHistory` times
 * logs in from a country (or device) never seen in the kept history. The history is bounded:
 * the `maxValues` most recently seen values (hashed), an observation count, and a TTL of
 * `historyMs` refreshed by every observation.
 */
import type { SecurityEvent } from '../../../lib/events/index.js';
import { summarise } from '../rules/match.js';
import type { NewValueRule, RuleHit } from '../rules/types.js';
import { updateJson } from './cas-update.js';
import type { EngineKit } from './detector.js';

interface History {
  /** Observations so far (capped: only "at least minHistory" matters). */
  n: number;
  /** [hashed value, last seen ms], most recent last. */
  v: [string, number][];
}

const MAX_COUNT = 1_000_000;

export async function newValue(kit: EngineKit, rule: NewValueRule, base: string, event: SecurityEvent, group: string): Promise<RuleHit | null> {
  const value = kit.valueOf(event, rule.field);
  if (value === null) return null;
  const hashed = kit.hash(value);
  const result = await updateJson<History>(kit.state, `det:n:${base}`, rule.historyMs, (previous) => {
    const seen = (previous?.v ?? []).filter(([h]) => h !== hashed);
    seen.push([hashed, event.time]);
    return { n: Math.min(MAX_COUNT, (previous?.n ?? 0) + 1), v: seen.slice(-rule.maxValues) };
  });
  const previous = result?.previous;
  if (!previous || previous.n < rule.minHistory || previous.v.some(([h]) => h === hashed)) return null;
  if (!(await kit.firstInWindow(base, rule.windowMs))) return null;
  return { rule, groupKey: group, events: [summarise(event)], facts: { field: rule.field, value, history: previous.n } };
}
