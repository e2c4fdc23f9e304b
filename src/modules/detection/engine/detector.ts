/**
 * The rule engine: feeds each security event through every rule and returns the hits. All state
 * lives in the shared StateStore (sliding windows, set-if-absent markers, compare-and-swap
 * progress), so replicas behind a load balancer count together and exactly one of them raises
 * an alert for a (rule, group) per window.
 *
 * State keys (group keys and values are hashed: they are attacker-controlled strings):
 *   det:w:<rule>:<g>          sliding window of matching events (threshold) / new values (distinct)
 *   det:s:<rule>:<g>:<v>      distinct value already counted in this window
 *   det:q:<rule>:<g>          sequence progress {n, deadline}
 *   det:e:<rule>:<g>:<i>      summary of the i-th counted event (evidence for the alert)
 *   det:d:<rule>:<g>          dedup marker: an alert was raised for this group in this window
 */
import { createHash } from 'node:crypto';

import type { Clock } from '../../../lib/clock/index.js';
import type { SecurityEvent } from '../../../lib/events/index.js';
import type { StateStore } from '../../../lib/state/index.js';
import { fieldOf, matchesEvent, summarise } from '../rules/match.js';
import type { DetectionRule, EventSummary, RuleHit, SequenceRule } from '../rules/types.js';

/** Evidence kept per alert: the last events that counted (bounded, whatever the threshold). */
export const MAX_EVIDENCE = 20;

export interface Detector {
  observe(event: SecurityEvent): Promise<RuleHit[]>;
}

const h = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);

export function createDetector(deps: { state: StateStore; clock: Clock; rules: readonly DetectionRule[] }): Detector {
  const { state, clock, rules } = deps;
  const ruleKey = (rule: DetectionRule) => `${rule.id}@${rule.version}`;

  async function keepEvidence(base: string, index: number, count: number, event: SecurityEvent, windowMs: number) {
    if (index > count - MAX_EVIDENCE) await state.set(`det:e:${base}:${index}`, JSON.stringify(summarise(event)), windowMs);
  }

  async function evidence(base: string, from: number, to: number, last: SecurityEvent): Promise<EventSummary[]> {
    const out: EventSummary[] = [];
    for (let i = Math.max(1, to - MAX_EVIDENCE + 1); i < to && i >= from; i++) {
      const raw = await state.get(`det:e:${base}:${i}`);
      if (raw !== null) out.push(JSON.parse(raw) as EventSummary);
    }
    out.push(summarise(last));
    return out;
  }

  /** First caller for (rule, group) in the window wins; every other replica and later event stays quiet. */
  const firstInWindow = (base: string, windowMs: number) => state.setIfAbsent(`det:d:${base}`, '1', windowMs);

  async function counted(rule: DetectionRule & { count: number }, base: string, event: SecurityEvent, group: string): Promise<RuleHit | null> {
    // The window holds at most `count` entries: the N-th is the alert, later ones are refused
    // (allowed=false) until the oldest leaves the window, so memory stays bounded under attack.
    const window = await state.slidingWindow(`det:w:${base}`, rule.windowMs, rule.count);
    if (!window.allowed) return null;
    await keepEvidence(base, window.count, rule.count, event, rule.windowMs);
    if (window.count < rule.count || !(await firstInWindow(base, rule.windowMs))) return null;
    return { rule, groupKey: group, events: await evidence(base, 1, window.count, event) };
  }

  async function sequence(rule: SequenceRule, event: SecurityEvent): Promise<RuleHit | null> {
    // Latest step first, so one event advances a subject by at most one step.
    for (let step = rule.steps.length - 1; step >= 0; step--) {
      const spec = rule.steps[step]!;
      if (!matchesEvent(event, spec.match)) continue;
      const group = fieldOf(event, spec.groupBy);
      if (group === null) continue;
      const base = `${ruleKey(rule)}:${h(group)}`;
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
      return { rule, groupKey: group, events: await evidence(base, 1, rule.steps.length, event) };
    }
    return null;
  }

  async function evaluate(rule: DetectionRule, event: SecurityEvent): Promise<RuleHit | null> {
    if (rule.kind === 'sequence') return sequence(rule, event);
    if (!matchesEvent(event, rule.match)) return null;
    const group = fieldOf(event, rule.groupBy);
    if (group === null) return null;
    const base = `${ruleKey(rule)}:${h(group)}`;
    if (rule.kind === 'single') {
      return (await firstInWindow(base, rule.windowMs)) ? { rule, groupKey: group, events: [summarise(event)] } : null;
    }
    if (rule.kind === 'threshold') return counted(rule, base, event, group);
    const value = fieldOf(event, rule.field);
    if (value === null) return null;
    // Only a value not yet seen in this window counts towards the distinct total.
    if (!(await state.setIfAbsent(`det:s:${base}:${h(value)}`, '1', rule.windowMs))) return null;
    return counted(rule, base, event, group);
  }

  return {
    async observe(event) {
      // Alerts and this module's own events never feed back into the rules.
      if (event.type.startsWith('alert.') || event.type.startsWith('detection.')) return [];
      const hits: RuleHit[] = [];
      for (const rule of rules) {
        const hit = await evaluate(rule, event);
        if (hit) hits.push(hit);
      }
      return hits;
    },
  };
}
