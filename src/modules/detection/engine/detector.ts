/**
 * The rule engine: feeds each security event through the rules that may match its type and
 * returns the hits. State goes through a DetectionState: over the shared StateStore (Redis)
 * replicas count together and exactly one of them raises an alert for a (rule, group) per
 * window; over a memory StateStore the in-process adapter does the same without hashing,
 * JSON or key strings (store/detection-state.ts).
 *
 * Shared state keys (group keys and values are hashed: they are attacker-controlled strings):
 *   det:w:<rule>:<g>          sliding window of matching events (threshold) / new values (distinct)
 *   det:s:<rule>:<g>:<v>      distinct value already counted in this window
 *   det:q:<rule>:<g>          sequence progress {n, deadline}
 *   det:t:<rule>:<g>          last located event (travel)
 *   det:n:<rule>:<g>          bounded history of seen values (new-value)
 *   det:e:<rule>:<g>:<i>      summary of the i-th counted event (evidence for the alert)
 *   det:d:<rule>:<g>          dedup marker: an alert was raised for this group in this window
 */
import type { Clock } from '../../../lib/clock/index.js';
import type { SecurityEvent } from '../../../lib/events/index.js';
import type { StateStore } from '../../../lib/state/index.js';
import type { GeoLocator } from '../geo/locator.js';
import { fieldOf, matchesEvent, summarise } from '../rules/match.js';
import type { DetectionRule, EventField, EventSummary, RuleHit, SequenceRule } from '../rules/types.js';
import { sharedDetectionState, andThen, type DetectionState, type MaybePromise } from '../store/detection-state.js';
import { localDetectionState } from '../store/local-detection-state.js';
import { newValue } from './new-value.js';
import { indexRules } from './rule-index.js';
import { travel } from './travel.js';

/** Evidence kept per alert: the last events that counted (bounded, whatever the threshold). */
export const MAX_EVIDENCE = 20;

export interface Detector {
  /** The rules' hits for this event (a shared, frozen empty array when none: do not modify it). */
  observe(event: SecurityEvent): Promise<RuleHit[]>;
}

/** Most events raise nothing: one shared answer instead of an array and a promise per event. */
const NO_HITS: Promise<RuleHit[]> = Promise.resolve(Object.freeze([]) as unknown as RuleHit[]);

export interface DetectorDeps {
  state: StateStore;
  clock: Clock;
  rules: readonly DetectionRule[];
  /** Needed by `travel` rules and `geo.country` fields; without it they never fire. */
  geo?: GeoLocator;
}

/** What the kind-specific evaluators share. */
export interface EngineKit {
  ds: DetectionState;
  geo: GeoLocator | undefined;
  valueOf(event: SecurityEvent, field: EventField): string | null;
  summaryOf(event: SecurityEvent): EventSummary;
}

export const ruleKey = (rule: DetectionRule) => `${rule.id}@${rule.version}`;

/** Only `detection.anomaly` (scored by the baselines) may feed rules: nothing else of ours loops back. */
const ownEvent = (type: string) => type.startsWith('alert.') || (type.startsWith('detection.') && type !== 'detection.anomaly');

/** Detectors over the same memory StateStore share one in-process state, as they would share the store. */
const localStates = new WeakMap<StateStore, DetectionState>();
function localStateOf(state: StateStore, clock: Clock): DetectionState {
  let local = localStates.get(state);
  if (local === undefined) localStates.set(state, (local = localDetectionState(clock)));
  return local;
}

export function createDetector(deps: DetectorDeps): Detector {
  const { state, clock, rules, geo } = deps;
  const ds = state.kind === 'memory' ? localStateOf(state, clock) : sharedDetectionState(state);
  const index = indexRules(rules);
  const keys = new Map(rules.map((r) => [r, ruleKey(r)]));

  const valueOf = (event: SecurityEvent, field: EventField): string | null =>
    field === 'geo.country' ? (event.ip && geo?.locate(event.ip)?.country) || null : fieldOf(event, field);

  // One event usually counts for several rules: summarise it once.
  let summarised: SecurityEvent | null = null;
  let summary: EventSummary | null = null;
  const summaryOf = (event: SecurityEvent): EventSummary => {
    if (summarised !== event || summary === null) {
      summarised = event;
      summary = summarise(event);
    }
    return summary;
  };
  const kit: EngineKit = { ds, geo, valueOf, summaryOf };

  function keepEvidence(rule: string, group: string, index: number, count: number, event: SecurityEvent, windowMs: number): void {
    if (index > count - MAX_EVIDENCE) ds.putEvidence(rule, group, index, summaryOf(event), windowMs);
  }

  function evidence(rule: string, group: string, to: number, last: SecurityEvent): MaybePromise<EventSummary[]> {
    return andThen(ds.evidence(rule, group, Math.max(1, to - MAX_EVIDENCE + 1), to), (out) => [...out, summaryOf(last)]);
  }

  /** The alert, if this caller is the first for (rule, group) in the window (of every replica). */
  function firstHit(rule: DetectionRule, key: string, group: string, events: () => MaybePromise<EventSummary[]>): MaybePromise<RuleHit | null> {
    return andThen(ds.mark('d', key, group, '', rule.windowMs), (first) => (first ? andThen(events(), (list) => ({ rule, groupKey: group, events: list })) : null));
  }

  function counted(rule: DetectionRule & { count: number }, key: string, event: SecurityEvent, group: string): MaybePromise<RuleHit | null> {
    // The window holds at most `count` entries: the N-th is the alert, later ones are refused
    // (allowed=false) until the oldest leaves the window, so memory stays bounded under attack.
    return andThen(ds.window(key, group, rule.windowMs, rule.count), (window) => {
      // Read at once: the in-process adapter reuses its result object.
      const { allowed, count } = window;
      if (!allowed) return null;
      keepEvidence(key, group, count, rule.count, event, rule.windowMs);
      if (count < rule.count) return null;
      return firstHit(rule, key, group, () => evidence(key, group, count, event));
    });
  }

  function sequence(rule: SequenceRule, key: string, event: SecurityEvent, step = rule.steps.length - 1): MaybePromise<RuleHit | null> {
    // Latest step first, so one event advances a subject by at most one step.
    for (; step >= 0; step--) {
      const spec = rule.steps[step]!;
      if (!matchesEvent(event, spec.match)) continue;
      const group = valueOf(event, spec.groupBy);
      if (group !== null) break;
    }
    if (step < 0) return null;
    const at = step;
    const group = valueOf(event, rule.steps[at]!.groupBy)!;
    const now = clock.now();
    const done = at + 1 === rule.steps.length;
    let applies = false;
    // Atomic advance: concurrent replicas see the same progress; only one moves it on.
    const moved = ds.update<{ n: number; deadline: number }>('q', key, group, rule.windowMs, (progress) => {
      const active = progress !== null && progress.deadline > now;
      // Step 0 starts (or restarts an expired) sequence; later steps need the one before.
      applies = at === 0 ? !active : active && progress.n === at;
      if (!applies) return undefined;
      return done ? null : { n: at + 1, deadline: at === 0 || progress === null ? now + rule.windowMs : progress.deadline };
    });
    return andThen(moved, (result) => {
      if (!applies) return sequence(rule, key, event, at - 1);
      if (result === null) return null;
      keepEvidence(key, group, at + 1, rule.steps.length, event, rule.windowMs);
      return done ? firstHit(rule, key, group, () => evidence(key, group, rule.steps.length, event)) : null;
    });
  }

  /** Synchronous on the in-process state (no promise per rule and event); a promise on Redis. */
  function evaluate(rule: DetectionRule, event: SecurityEvent): MaybePromise<RuleHit | null> {
    const key = keys.get(rule)!;
    if (rule.kind === 'sequence') return sequence(rule, key, event);
    if (!matchesEvent(event, rule.match)) return null;
    const group = valueOf(event, rule.groupBy);
    if (group === null) return null;
    switch (rule.kind) {
      case 'single':
        return firstHit(rule, key, group, () => [summaryOf(event)]);
      case 'threshold':
        return counted(rule, key, event, group);
      case 'travel':
        return travel(kit, rule, key, event, group);
      case 'new-value':
        return newValue(kit, rule, key, event, group);
      case 'distinct': {
        const value = valueOf(event, rule.field);
        if (value === null) return null;
        // Only a value not yet seen in this window counts towards the distinct total.
        return andThen(ds.mark('s', key, group, value, rule.windowMs), (fresh) => (fresh ? counted(rule, key, event, group) : null));
      }
    }
  }

  /**
   * The rest of an event's rules once one needed I/O (shared state): all started at once, so
   * their round trips are pipelined on the connection instead of queued one after another.
   * Rules never share state keys, so their order of evaluation does not matter; the hits keep
   * rule-set order.
   */
  async function rest(hits: RuleHit[], pending: Promise<RuleHit | null>, candidates: readonly DetectionRule[], from: number, event: SecurityEvent) {
    // Promise.all attaches a handler to every one at once: a later rule's failure is never an
    // unhandled rejection while an earlier one is still pending.
    for (const hit of await Promise.all([pending, ...candidates.slice(from).map((rule) => evaluate(rule, event))])) {
      if (hit) hits.push(hit);
    }
    return hits;
  }

  return {
    observe(event) {
      if (ownEvent(event.type)) return NO_HITS;
      const candidates = index.rulesFor(event.type);
      let hits: RuleHit[] | null = null;
      for (let i = 0; i < candidates.length; i++) {
        const hit = evaluate(candidates[i]!, event);
        // The first rule that needs I/O switches the rest of this event to the async path.
        if (hit instanceof Promise) return rest(hits ?? [], hit, candidates, i + 1, event);
        if (hit) (hits ??= []).push(hit);
      }
      return hits === null ? NO_HITS : Promise.resolve(hits);
    },
  };
}
