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
  let isNew = false;
  let prior = 0;
  const learnt = kit.ds.update<History>('n', key, group, rule.historyMs, (previous) => {
    const history = previous ?? { n: 0, v: [] };
    const at = history.v.findIndex(([v]) => v === value);
    // Decided on the history as it was before this observation.
    prior = history.n;
    isNew = prior >= rule.minHistory && at < 0;
    // Updated in place (a parsed copy on the shared state; the stored object in-process, where
    // the update is atomic): most recent last, at most maxValues.
    if (at >= 0) history.v.splice(at, 1);
    history.v.push([value, event.time]);
    if (history.v.length > rule.maxValues) history.v.splice(0, history.v.length - rule.maxValues);
    history.n = Math.min(MAX_COUNT, history.n + 1);
    return history;
  });
  return andThen(learnt, (result) => {
    if (result === null || !isNew) return null;
    return andThen(kit.ds.mark('d', key, group, '', rule.windowMs), (first) => (first
      ? { rule, groupKey: group, events: [kit.summaryOf(event)], facts: { field: rule.field, value, history: prior } }
      : null));
  });
}
