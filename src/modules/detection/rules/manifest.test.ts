/**
 * Rule-set audit: the manifest names each rule as id@version with a hash of its definition, the
 * diff lists added / removed / changed rules (also an edit that forgot the version bump), and
 * the cluster records a change exactly once however many replicas boot with it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createManualClock } from '../../../lib/clock/index.js';
import { createDatabase, createSettingsRepository, type Database, type SettingsRepository } from '../../../lib/db/index.js';
import { databaseBackends, type ThrowawayDatabase } from '../../../../test/support/backends.js';
import { recordRuleSet } from '../store/rule-set-record.js';
import { DEFAULT_RULES } from './defaults.js';
import { diffRuleSets, manifestOf, ruleSetHash } from './manifest.js';
import type { DetectionRule } from './types.js';

const [first, second, ...rest] = DEFAULT_RULES as [DetectionRule, DetectionRule, ...DetectionRule[]];

describe('manifestOf / diffRuleSets', () => {
  it('is independent of rule order and names every rule with its version', () => {
    const manifest = manifestOf(DEFAULT_RULES);
    expect(ruleSetHash(manifestOf([...DEFAULT_RULES].reverse()))).toBe(ruleSetHash(manifest));
    expect(manifest.map((e) => `${e.id}@${e.version}`).sort()).toEqual(DEFAULT_RULES.map((r) => `${r.id}@${r.version}`).sort());
  });

  it('lists added, removed, re-versioned and silently edited rules', () => {
    const before = manifestOf([first, second, ...rest]);
    const after = manifestOf([
      { ...first, version: first.version + 1 },
      { ...second, title: 'edited without a version bump' },
      ...rest.slice(1),
      { id: 'brand-new', version: 1, kind: 'single', title: 'n', severity: 'low', windowMs: 60_000, match: { types: ['x'] }, groupBy: 'ip' },
    ]);
    expect(diffRuleSets(before, after)).toEqual({
      added: ['brand-new@1'],
      removed: [`${rest[0]!.id}@${rest[0]!.version}`],
      changed: expect.arrayContaining([
        `${first.id}@${first.version}→${first.id}@${first.version + 1}`,
        `${second.id}@${second.version} (definition changed, version not bumped)`,
      ]) as unknown as string[],
    });
    expect(diffRuleSets(before, before)).toEqual({ added: [], removed: [], changed: [] });
  });
});

describe.each(await databaseBackends())('recordRuleSet on $name', (backend) => {
  let throwaway: ThrowawayDatabase;
  let db: Database;
  let state: SettingsRepository;
  beforeEach(async () => {
    throwaway = await backend.provision();
    db = await createDatabase(throwaway.url);
    await db.migrate();
    state = createSettingsRepository(db, createManualClock());
  });
  afterEach(async () => {
    await db.close();
    await throwaway.drop();
  });

  it('reports the first set as all added, an unchanged set never, a changed set once among concurrent replicas', async () => {
    const v1 = manifestOf(DEFAULT_RULES);
    const initial = await recordRuleSet(state, v1);
    expect(initial?.added).toHaveLength(DEFAULT_RULES.length);
    expect(initial?.previousRuleSet).toBeNull();
    expect(await recordRuleSet(state, v1)).toBeNull();

    const v2 = manifestOf(DEFAULT_RULES.slice(1));
    const replicas = await Promise.all([1, 2, 3, 4].map(() => recordRuleSet(state, v2)));
    const reported = replicas.filter((c) => c !== null);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({ added: [], removed: [`${first.id}@${first.version}`], changed: [], previousRuleSet: ruleSetHash(v1), ruleSet: ruleSetHash(v2) });
  });

  it('remembers the set across a restart: a second process with the same rules reports nothing', async () => {
    const v1 = manifestOf(DEFAULT_RULES);
    expect(await recordRuleSet(state, v1)).not.toBeNull();
    await db.close();
    db = await createDatabase(throwaway.url);
    state = createSettingsRepository(db, createManualClock());
    expect(await recordRuleSet(state, v1)).toBeNull();
  });
});
