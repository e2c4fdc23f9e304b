/**
 * Rules indexed by the event types they can match, so an event meets only the rules that may
 * fire on it (most of a large rule set ignores most events). Exact types are a map lookup;
 * `prefix.*` patterns are checked once per new event type and the result memoised.
 */
import type { DetectionRule, EventMatcher } from '../rules/types.js';

/** Event types are code-defined, but the memo stays bounded whatever reaches the bus. */
const MAX_MEMO = 1_024;

function matchersOf(rule: DetectionRule): readonly EventMatcher[] {
  return rule.kind === 'sequence' ? rule.steps.map((s) => s.match) : [rule.match];
}

function typeMatches(type: string, pattern: string): boolean {
  return pattern.endsWith('.*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern;
}

export interface RuleIndex {
  /** The rules that may match an event of this type, in rule-set order. */
  rulesFor(type: string): readonly DetectionRule[];
}

export function indexRules(rules: readonly DetectionRule[]): RuleIndex {
  const memo = new Map<string, readonly DetectionRule[]>();
  const patterns = rules.map((rule) => matchersOf(rule).flatMap((m) => m.types));
  const NONE: readonly DetectionRule[] = Object.freeze([]);
  return {
    rulesFor(type) {
      const known = memo.get(type);
      if (known) return known;
      const found = rules.filter((_, i) => patterns[i]!.some((p) => typeMatches(type, p)));
      const list = found.length === 0 ? NONE : Object.freeze(found);
      if (memo.size < MAX_MEMO) memo.set(type, list);
      return list;
    },
  };
}
