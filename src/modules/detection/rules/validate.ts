/**
 * Rule-set validation at boot: a malformed rule is a programmer error (TypeError), caught before
 * the first event rather than silently never firing.
 */
import type { DetectionRule, EventField } from './types.js';

const FIELD = /^(actor|target|ip|details\.[A-Za-z0-9_]{1,64})$/;
const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

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
    if (rule.kind === 'sequence') {
      if (rule.steps.length < 2 || rule.steps.length > 10) throw new TypeError(`rule ${rule.id}: a sequence has 2 to 10 steps`);
      for (const step of rule.steps) checkField(rule, step.groupBy);
      continue;
    }
    checkField(rule, rule.groupBy);
    if (rule.kind === 'distinct') checkField(rule, rule.field);
    if ((rule.kind === 'threshold' || rule.kind === 'distinct') && (!Number.isSafeInteger(rule.count) || rule.count < 1 || rule.count > 10_000)) {
      throw new TypeError(`rule ${rule.id}: count must be 1..10000`);
    }
  }
  return Object.freeze([...rules]);
}
