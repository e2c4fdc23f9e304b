import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../../lib/db/index.js';
import { databaseBackends, type ThrowawayDatabase } from '../../../../test/support/backends.js';
import { createRuleRepository, type RuleRepository } from './repository.js';
import type { NetworkRule } from './types.js';

const rule = (id: string, extra: Partial<NetworkRule> = {}): NetworkRule => ({
  id, kind: 'ip', subject: '192.0.2.0/24', action: 'deny', source: 'admin', reason: 'abuse', createdBy: 'admin-1', createdAt: 1_000, expiresAt: null, ...extra,
});

describe.each(await databaseBackends())('network_rules repository on $name', (backend) => {
  let throwaway: ThrowawayDatabase;
  let db: Database;
  let repo: RuleRepository;
  beforeAll(async () => {
    throwaway = await backend.provision();
    db = await createDatabase(throwaway.url);
    await db.migrate();
    repo = createRuleRepository(db.kysely);
  });
  afterAll(async () => {
    await db.close();
    await throwaway.drop();
  });

  it('stores and returns rules with integer times intact', async () => {
    await repo.insert(rule('a', { expiresAt: 9_007_199_254_740_000 }));
    await repo.insert(rule('b', { kind: 'user', subject: 'user-1', source: 'recidive', createdAt: 2_000, expiresAt: 5_000 }));
    await repo.insert(rule('c', { subject: '2001:db8::/32', action: 'allow', createdAt: 3_000 }));
    const live = await repo.listLive(4_000);
    expect(live.map((r) => r.id).sort()).toEqual(['a', 'b', 'c']);
    expect(live.find((r) => r.id === 'a')).toEqual(rule('a', { expiresAt: 9_007_199_254_740_000 }));
  });

  it('leaves expired rules out of the live set and hands them to the purge', async () => {
    expect((await repo.listLive(5_000)).map((r) => r.id).sort()).toEqual(['a', 'c']);
    expect((await repo.listExpired(5_000, 10)).map((r) => r.id)).toEqual(['b']);
  });

  it('pages IP rules newest first with a filtered total', async () => {
    const all = await repo.page({ kind: 'ip', limit: 10, offset: 0 }, 0);
    expect(all.rules.map((r) => r.id)).toEqual(['c', 'a']);
    expect(all.total).toBe(2);
    const denies = await repo.page({ kind: 'ip', action: 'deny', limit: 10, offset: 0 }, 0);
    expect(denies).toMatchObject({ total: 1, rules: [{ id: 'a' }] });
    expect((await repo.page({ kind: 'ip', limit: 1, offset: 1 }, 0)).rules.map((r) => r.id)).toEqual(['a']);
  });

  it('reports a deletion to exactly one of two concurrent callers', async () => {
    const [x, y] = await Promise.all([repo.delete('b'), repo.delete('b')]);
    expect([x, y].filter((r) => r !== null)).toHaveLength(1);
    expect(await repo.delete('nope')).toBeNull();
  });
});
