/**
 * The rule engine: feeds each security event through the rules that may match its type and
 * returns the hits. All state lives in the shared StateStore (sliding windows, set-if-absent
 * markers, compare-and-swap histories), so replicas behind a load balancer count together and
 * exactly one of them raises an alert for a (rule, group) per window.
 *
 * State keys (group keys and values are hashed: they are attacker-controlled strings):
 *   det:w:<rule>:<g>          sliding window of matching events (threshold) / new values (distinct)
 *   det:s:<rule>:<g>:<v>      distinct value already counted in this window
 *   det:q:<rule>:<g>          sequence progress {n, deadline}
 *   det:t:<rule>:<g>          last located event (travel)
 *   det:n:<rule>:<g>          bounded history of seen values (new-value)
 *   det:e:<rule>:<g>:<i>      summary of the i-th counted event (evidence for the alert)
 *   det:d:<rule>:<g>          dedup marker: an alert was raised for this group in this window
 */
import { createHash } from 'node:crypto';

import type { Clock } from '../../../lib/clock/index.js';
import type { SecurityEvent } from '../../../lib/events/index.js';
import type { StateStore } from '../../../lib/state/index.js';
import type { GeoLocator } from '../geo/locator.js';
import { fieldOf, matchesEvent, summarise } from '../rules/match.js';
import type { DetectionRule, EventField, EventSummary, RuleHit, SequenceRule } from '../rules/types.js';
import { newValue } from './new-value.js';
import { indexRules } from './rule-index.js';
import { travel } from './travel.js';

/** Evidence kept per alert: the last events that counted (bounded, whatever the threshold). */
export const MAX_EVIDENCE = 20;

export interface Detector {
  observe(event: SecurityEvent): Promise<RuleHit[]>;
}

export interface DetectorDeps {
  state: StateStore;
  clock: Clock;
  rules: readonly DetectionRule[];
  /** Needed by `travel` rules and `geo.country` fields; without it they never fire. */
  geo?: GeoLocator;
}

/** What the kind-specific evaluators share. */
export interface EngineKit {
  state: StateStore;
  clock: Clock;
  geo: GeoLocator | undefined;
  hash(value: string): string;
  valueOf(event: SecurityEvent, field: EventField): string | null;
  firstInWindow(base: string, windowMs: number): Promise<boolean>;
}

export const ruleKey = (rule: DetectionRule) => `${rule.id}@${rule.version}`;

/** Only `detection.anomaly` (scored by the baselines) may feed rules: nothing else of ours loops back. */
const ownEvent = (type: string) => type.startsWith('alert.') || (type.startsWith('detection.') && type !== 'detection.anomaly');

export function createDetector(deps: DetectorDeps): Detector {
  const { state, clock, rules, geo } = deps;
  const index = indexRules(rules);
  const keys = new Map(rules.map((r) => [r, ruleKey(r)]));

  // Consecutive rules mostly group one event by the same field: hash each string once.
  let lastIn = '';
  let lastOut = '';
  const hash = (value: string): string => {
    if (value !== lastIn) {
      lastIn = value;
      lastOut = createHash('sha256').update(value).digest('base64url').slice(0, 22);
    }
    return lastOut;
  };

  const valueOf = (event: SecurityEvent, field: EventField): string | null =>
    field === 'geo.country' ? (event.ip && geo?.locate(event.ip)?.country) || null : fieldOf(event, field);

  /** First caller for (rule, group) in the window wins; every other replica and later event stays quiet. */
  const firstInWindow = (base: string, windowMs: number) => state.setIfAbsent(`det:d:${base}`, '1', windowMs);
  const kit: EngineKit = { state, clock, geo, hash, valueOf, firstInWindow };

  async function keepEvidence(base: string, index: number, count: number, event: SecurityEvent, windowMs: number) {
    if (index > count - MAX_EVIDENCE) await state.set(`det:e:${base}:${index}`, JSON.stringify(summarise(event)), windowMs);
  }

  async function evidence(base: string, to: number, last: SecurityEvent): Promise<EventSummary[]> {
    const out: EventSummary[] = [];
    for (let i = Math.max(1, to - MAX_EVIDENCE + 1); i < to; i++) {
      const raw = await state.get(`det:e:${base}:${i}`);
      if (raw !== null) out.push(JSON.parse(raw) as EventSummary);
    }
    out.push(summarise(last));
    return out;
  }

  async function counted(rule: DetectionRule & { count: number }, base: string, event: SecurityEvent, group: string): Promise<RuleHit | null> {
    // The window holds at most `count` entries: the N-th is the alert, later ones are refused
    // (allowed=false) until the oldest leaves the window, so memory stays bounded under attack.
    const window = await state.slidingWindow(`det:w:${base}`, rule.windowMs, rule.count);
    if (!window.allowed) return null;
    await keepEvidence(base, window.count, rule.count, event, rule.windowMs);
    if (window.count < rule.count || !(await firstInWindow(base, rule.windowMs))) return null;
    return { rule, groupKey: group, events: await evidence(base, window.count, event) };
  }

  async function sequence(rule: SequenceRule, event: SecurityEvent): Promise<RuleHit | null> {
    // Latest step first, so one event advances a subject by at most one step.
    for (let step = rule.steps.length - 1; step >= 0; step--) {
      const spec = rule.steps[step]!;
      if (!matchesEvent(event, spec.match)) continue;
      const group = valueOf(event, spec.groupBy);
      if (group === null) continue;
      const base = `${keys.get(rule)!}:${hash(group)}`;
      const key = `det:q:${base}`;
      const current = await state.get(key);
      const progress = current === null ? null : JSON.parse(current) as { n: number; deadline: number };
      const now = clock.now();
      const active = progress !== null && progress.deadline > now;
      // Step 0 starts (or restarts an expired) sequence; later steps need the one before.
      if (step === 0 ? active : !(active && progress.n === step)) continue;
      const deadline = step === 0 || progress === null ? now + rule.windowMs : progress.deadline;
      const done = step + 1 === rule.steps.length;
      // CAS: concurrent replicas see the same progress; only one advances it.
      const next = done ? null : JSON.stringify({ n: step + 1, deadline });
      if (!(await state.compareAndSwap(key, current, next, Math.max(1, deadline - now)))) return null;
      await keepEvidence(base, step + 1, rule.steps.length, event, rule.windowMs);
      if (!done || !(await firstInWindow(base, rule.windowMs))) return null;
      return { rule, groupKey: group, events: await evidence(base, rule.steps.length, event) };
    }
    return null;
  }

  async function evaluate(rule: DetectionRule, event: SecurityEvent): Promise<RuleHit | null> {
    if (rule.kind === 'sequence') return sequence(rule, event);
    if (!matchesEvent(event, rule.match)) return null;
    const group = valueOf(event, rule.groupBy);
    if (group === null) return null;
    const base = `${keys.get(rule)!}:${hash(group)}`;
    switch (rule.kind) {
      case 'single':
        return (await firstInWindow(base, rule.windowMs)) ? { rule, groupKey: group, events: [summarise(event)] } : null;
      case 'threshold':
        return counted(rule, base, event, group);
      case 'travel':
        return travel(kit, rule, base, event, group);
      case 'new-value':
        return newValue(kit, rule, base, event, group);
      case 'distinct': {
        const value = valueOf(event, rule.field);
        if (value === null) return null;
        // Only a value not yet seen in this window counts towards the distinct total.
        if (!(await state.setIfAbsent(`det:s:${base}:${hash(value)}`, '1', rule.windowMs))) return null;
        return counted(rule, base, event, group);
      }
    }
  }

  return {
    async observe(event) {
      if (ownEvent(event.type)) return [];
      const candidates = index.rulesFor(event.type);
      if (candidates.length === 0) return [];
      const hits: RuleHit[] = [];
      for (const rule of candidates) {
        const hit = await evaluate(rule, event);
        if (hit) hits.push(hit);
      }
      return hits;
    },
  };
}
