/**
 * New value for an established group: a user who has logged in at least `minHistory` times
 * logs in from a country (or device) never seen in the kept history. The history is bounded:
 * the `maxValues` most recently seen values, an observation count, and a TTL of
 * `historyMs` refreshed by every observation.
 */
import type { SecurityEvent } from '../../../lib/events/index.js';
import type { NewValueRule, RuleHit } from '../rules/types.js';
import { andThen, type MaybePromise } from '../store/detection-state.js';
import type { EngineKit } from './detector.js';

interface History {
  /** Observations so far (capped: only "at least minHistory" matters). */
  n: number;
  /** [value, last seen ms], most recent last (values are short: a country code, a keyed device hash). */
  v: [string, number][];
}

const MAX_COUNT = 1_000_000;

export function newValue(kit: EngineKit, rule: NewValueRule, key: string, event: SecurityEvent, group: string): MaybePromise<RuleHit | null> {
  const value = kit.valueOf(event, rule.field);
  if (value === null) return null;
  const learnt = kit.ds.update<History>('n', key, group, rule.historyMs, (previous) => {
    const seen = (previous?.v ?? []).filter(([v]) => v !== value);
    seen.push([value, event.time]);
    return { n: Math.min(MAX_COUNT, (previous?.n ?? 0) + 1), v: seen.slice(-rule.maxValues) };
  });
  return andThen(learnt, (result) => {
    const previous = result?.previous;
    if (!previous || previous.n < rule.minHistory || previous.v.some(([v]) => v === value)) return null;
    return andThen(kit.ds.mark('d', key, group, '', rule.windowMs), (first) => (first
      ? { rule, groupKey: group, events: [kit.summaryOf(event)], facts: { field: rule.field, value, history: previous.n } }
      : null));
  });
}
