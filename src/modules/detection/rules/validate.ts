/**
 * Rule-set validation at boot: a malformed rule is a programmer error (TypeError), caught before
 * the first event rather than silently never firing.
 */
import type { DetectionRule, EventField } from './types.js';

const FIELD = /^(actor|target|ip|geo\.country|details\.[A-Za-z0-9_]{1,64})$/;
const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const KINDS: readonly string[] = ['threshold', 'distinct', 'sequence', 'single', 'travel', 'new-value'];

function checkField(rule: DetectionRule, field: EventField): void {
  if (!FIELD.test(field)) throw new TypeError(`rule ${rule.id}: invalid field ${field}`);
}

export function validateRules(rules: readonly DetectionRule[]): readonly DetectionRule[] {
  const seen = new Set<string>();
  for (const rule of rules) {
    if (!ID.test(rule.id)) throw new TypeError(`invalid rule id ${JSON.stringify(rule.id)}`);
    if (seen.has(rule.id)) throw new TypeError(`duplicate rule id ${rule.id}`);
    seen.add(rule.id);
    if (!Number.isSafeInteger(rule.version) || rule.version < 1) throw new TypeError(`rule ${rule.id}: version must be a positive integer`);
    if (!Number.isSafeInteger(rule.windowMs) || rule.windowMs < 1_000) throw new TypeError(`rule ${rule.id}: windowMs must be at least 1000`);
    if (!KINDS.includes(rule.kind)) throw new TypeError(`rule ${rule.id}: unknown kind ${JSON.stringify(rule.kind)}`);
    if (rule.kind === 'sequence') {
      if (rule.steps.length < 2 || rule.steps.length > 10) throw new TypeError(`rule ${rule.id}: a sequence has 2 to 10 steps`);
      for (const step of rule.steps) checkField(rule, step.groupBy);
      continue;
    }
    checkField(rule, rule.groupBy);
    if (rule.kind === 'distinct' || rule.kind === 'new-value') checkField(rule, rule.field);
    if (rule.kind === 'travel' && !(rule.maxKmh > 0 && rule.maxKmh <= 100_000 && rule.minKm >= 0 && rule.minKm <= 20_000)) {
      throw new TypeError(`rule ${rule.id}: maxKmh must be in (0, 100000] and minKm in [0, 20000]`);
    }
    if (rule.kind === 'new-value') {
      if (!Number.isSafeInteger(rule.minHistory) || rule.minHistory < 1 || rule.minHistory > 10_000) throw new TypeError(`rule ${rule.id}: minHistory must be 1..10000`);
      if (!Number.isSafeInteger(rule.maxValues) || rule.maxValues < 1 || rule.maxValues > 100) throw new TypeError(`rule ${rule.id}: maxValues must be 1..100`);
      if (!Number.isSafeInteger(rule.historyMs) || rule.historyMs < rule.windowMs) throw new TypeError(`rule ${rule.id}: historyMs must be at least windowMs`);
    }
    if ((rule.kind === 'threshold' || rule.kind === 'distinct') && (!Number.isSafeInteger(rule.count) || rule.count < 1 || rule.count > 10_000)) {
      throw new TypeError(`rule ${rule.id}: count must be 1..10000`);
    }
  }
  return Object.freeze([...rules]);
}
