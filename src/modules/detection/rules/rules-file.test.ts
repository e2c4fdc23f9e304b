/**
 * Q2_DETECTION_RULES_FILE: a valid file adds its rules to the defaults; a malformed one — bad
 * JSON, an unknown property, a wrong kind, a semantic error, an id taken by a default rule —
 * stops the boot with a message naming the variable.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../../lib/config/index.js';
import { DEFAULT_RULES } from './defaults.js';
import { withRulesFile } from './rules-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'q2-rules-'));
function file(name: string, content: unknown): string {
  const full = path.join(dir, name);
  writeFileSync(full, typeof content === 'string' ? content : JSON.stringify(content));
  return full;
}
const extra = {
  id: 'withdrawal-burst', version: 1, kind: 'threshold', title: 'Many withdrawals', severity: 'medium', windowMs: 3_600_000,
  match: { types: ['withdrawal.requested'], outcomes: ['success'] }, groupBy: 'details.userId', count: 5,
};

describe('withRulesFile', () => {
  it('adds the file rules after the defaults, frozen and validated', () => {
    const rules = withRulesFile(DEFAULT_RULES, file('good.json', [extra, { ...extra, id: 'far-login', kind: 'travel', maxKmh: 800, minKm: 300, count: undefined }]));
    expect(rules.map((r) => r.id)).toEqual([...DEFAULT_RULES.map((r) => r.id), 'withdrawal-burst', 'far-login']);
    expect(Object.isFrozen(rules)).toBe(true);
  });

  it.each<[string, unknown, RegExp]>([
    ['invalid JSON', '[{"id": ', /cannot read .* as JSON/],
    ['an object instead of an array', { rules: [] }, /must be array/],
    ['an unknown property (a typo)', [{ ...extra, cuont: 5 }], /rule\/0 must NOT have additional properties \(cuont\)/],
    ['an unknown kind', [{ ...extra, kind: 'nearby' }], /must be equal to one of the allowed values/],
    ['a bad severity', [extra, { ...extra, id: 'b', severity: 'urgent' }], /rule\/1\/severity must be equal to one of the allowed values/],
    ['a zero count', [{ ...extra, count: 0 }], /count must be 1\.\.10000/],
    ['an id taken by a default rule', [{ ...extra, id: 'brute-force.ip' }], /duplicate rule id brute-force\.ip/],
  ])('refuses %s, naming the variable', (_name, content, message) => {
    const bad = file(`bad-${Math.random().toString(36).slice(2)}.json`, content);
    expect(() => withRulesFile(DEFAULT_RULES, bad)).toThrow(/^Q2_DETECTION_RULES_FILE: /);
    expect(() => withRulesFile(DEFAULT_RULES, bad)).toThrow(message);
  });

  it('refuses a missing file', () => {
    expect(() => withRulesFile(DEFAULT_RULES, path.join(dir, 'absent.json'))).toThrow(/Q2_DETECTION_RULES_FILE: cannot read/);
  });
});

describe('Q2_DETECTION_RULES_FILE in the config', () => {
  it('is resolved against the working directory, absent by default', () => {
    expect(loadConfig({}, dir).detection).toBeUndefined();
    expect(loadConfig({ Q2_DETECTION_RULES_FILE: 'rules.json' }, dir).detection).toEqual({ rulesFile: path.join(dir, 'rules.json') });
  });
});
