/**
 * Extra rules from the JSON file named by Q2_DETECTION_RULES_FILE (an array of rule objects in
 * the same shape as `DEFAULT_RULES`, docs/detection.md). Read once at boot; the structure is
 * checked with a JSON schema (no unknown properties, bounded strings and arrays), then the
 * semantic checks of `validateRules` run over the defaults and the file together, so a file
 * rule cannot reuse a default rule's id. Any problem stops the boot with a message naming the
 * variable and the problem: a typo must never become a silently inert rule.
 */
import { readFileSync } from 'node:fs';

import { Ajv } from 'ajv';

import type { DetectionRule } from './types.js';
import { validateRules } from './validate.js';

const str = (max: number) => ({ type: 'string', minLength: 1, maxLength: max });
const matcher = {
  type: 'object', additionalProperties: false, required: ['types'],
  properties: {
    types: { type: 'array', minItems: 1, maxItems: 20, items: str(100) },
    outcomes: { type: 'array', minItems: 1, maxItems: 4, items: { enum: ['success', 'failure', 'denied', 'info'] } },
    details: { type: 'object', maxProperties: 10, additionalProperties: str(200) },
  },
};
const base = {
  id: str(64), version: { type: 'integer' }, title: str(200), severity: { enum: ['low', 'medium', 'high', 'critical'] },
  windowMs: { type: 'integer' }, match: matcher, groupBy: str(80),
};
const kind = (name: string, extra: Record<string, unknown>, required: string[]) => ({
  type: 'object', additionalProperties: false,
  required: ['id', 'version', 'kind', 'title', 'severity', 'windowMs', ...required],
  properties: { ...base, kind: { const: name }, ...extra },
});

const sequence = {
  type: 'object', additionalProperties: false, required: ['id', 'version', 'kind', 'title', 'severity', 'windowMs', 'steps'],
  properties: {
    id: base.id, version: base.version, title: base.title, severity: base.severity, windowMs: base.windowMs, kind: { const: 'sequence' },
    steps: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['match', 'groupBy'], properties: { match: matcher, groupBy: str(80) } } },
  },
};

const ajv = new Ajv({ strict: true, allErrors: false });
const validateList = ajv.compile({ type: 'array', maxItems: 200, items: { type: 'object', required: ['kind'], properties: { kind: { enum: ['threshold', 'distinct', 'single', 'sequence', 'travel', 'new-value'] } } } });
// One schema per kind, chosen by `kind`: errors then name the actual problem (not "matches no branch").
const byKind: Record<string, ReturnType<typeof ajv.compile>> = {
  threshold: ajv.compile(kind('threshold', { count: { type: 'integer' } }, ['match', 'groupBy', 'count'])),
  distinct: ajv.compile(kind('distinct', { field: str(80), count: { type: 'integer' } }, ['match', 'groupBy', 'field', 'count'])),
  single: ajv.compile(kind('single', {}, ['match', 'groupBy'])),
  travel: ajv.compile(kind('travel', { maxKmh: { type: 'number' }, minKm: { type: 'number' } }, ['match', 'groupBy', 'maxKmh', 'minKm'])),
  'new-value': ajv.compile(kind('new-value', { field: str(80), minHistory: { type: 'integer' }, maxValues: { type: 'integer' }, historyMs: { type: 'integer' } },
    ['match', 'groupBy', 'field', 'minHistory', 'maxValues', 'historyMs'])),
  sequence: ajv.compile(sequence),
};

function problem(errors: { instancePath: string; message?: string; params?: Record<string, unknown> }[] | null | undefined, prefix = ''): string {
  const first = errors?.[0];
  const extra = typeof first?.params?.additionalProperty === 'string' ? ` (${first.params.additionalProperty})` : '';
  return `rule${prefix}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}${extra}`;
}

const VARIABLE = 'Q2_DETECTION_RULES_FILE';

/** The file's rules, structurally checked; `validateRules` over defaults + these does the rest. */
export function loadRulesFile(file: string): DetectionRule[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TypeError(`${VARIABLE}: cannot read ${file} as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!validateList(parsed)) throw new TypeError(`${VARIABLE}: ${file}: ${problem(validateList.errors)}`);
  const list = parsed as { kind: string }[];
  for (const [i, rule] of list.entries()) {
    const check = byKind[rule.kind]!;
    if (!check(rule)) throw new TypeError(`${VARIABLE}: ${file}: ${problem(check.errors, `/${i}`)}`);
  }
  return parsed as DetectionRule[];
}

/** `base` plus the file's rules, validated together (ids unique across both); errors name the variable. */
export function withRulesFile(base: readonly DetectionRule[], file: string): readonly DetectionRule[] {
  const extra = loadRulesFile(file);
  try {
    return validateRules([...base, ...extra]);
  } catch (err) {
    throw new TypeError(`${VARIABLE}: ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
