/** Rule-set validation: malformed rules are refused at boot (TypeError), never silently inert. */
import { describe, expect, it } from 'vitest';

import { DEFAULT_RULES } from './defaults.js';
import type { DetectionRule } from './types.js';
import { validateRules } from './validate.js';

const base: DetectionRule = {
  id: 'x', version: 1, kind: 'threshold', title: 't', severity: 'low', windowMs: 60_000,
  match: { types: ['auth.login'] }, groupBy: 'ip', count: 3,
};

describe('validateRules', () => {
  it('accepts the default set, every rule versioned and unique', () => {
    expect(validateRules(DEFAULT_RULES)).toHaveLength(DEFAULT_RULES.length);
    expect(new Set(DEFAULT_RULES.map((r) => r.id)).size).toBe(DEFAULT_RULES.length);
    expect(Object.isFrozen(DEFAULT_RULES)).toBe(true);
  });

  it.each<[string, Partial<DetectionRule>]>([
    ['a bad id', { id: 'Bad Id!' }],
    ['a zero version', { version: 0 }],
    ['a tiny window', { windowMs: 10 }],
    ['a zero count', { count: 0 } as Partial<DetectionRule>],
    ['an unknown field', { groupBy: 'details.a b' } as Partial<DetectionRule>],
    ['a one-step sequence', { kind: 'sequence', steps: [{ match: { types: ['a'] }, groupBy: 'actor' }] } as Partial<DetectionRule>],
    ['an unknown kind', { kind: 'nearby' } as unknown as Partial<DetectionRule>],
    ['a travel rule without a speed', { kind: 'travel', maxKmh: 0, minKm: 100 } as Partial<DetectionRule>],
    ['a travel rule with a negative distance', { kind: 'travel', maxKmh: 1000, minKm: -1 } as Partial<DetectionRule>],
    ['a new-value rule without history', { kind: 'new-value', field: 'geo.country', minHistory: 0, maxValues: 5, historyMs: 60_000 } as Partial<DetectionRule>],
    ['a new-value rule keeping too many values', { kind: 'new-value', field: 'geo.country', minHistory: 3, maxValues: 1000, historyMs: 60_000 } as Partial<DetectionRule>],
    ['a new-value rule forgetting before its window', { kind: 'new-value', field: 'geo.country', minHistory: 3, maxValues: 5, historyMs: 1_000 } as Partial<DetectionRule>],
  ])('refuses %s', (_name, change) => {
    expect(() => validateRules([{ ...base, ...change } as DetectionRule])).toThrow(TypeError);
  });

  it('refuses duplicate ids', () => {
    expect(() => validateRules([base, { ...base, version: 2 }])).toThrow(/duplicate/);
  });
});
