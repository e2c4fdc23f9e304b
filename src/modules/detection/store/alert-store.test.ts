/**
 * Alert storage on SQLite and PostgreSQL: round trip of every field (bigint columns come back as
 * numbers), newest-first paging with a stable cursor, filters, and an atomic acknowledgement
 * that exactly one of two concurrent admins wins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDatabase, type Database } from '../../../lib/db/index.js';
import { databaseBackends, type ThrowawayDatabase } from '../../../../test/support/backends.js';
import { DEFAULT_RULES } from '../rules/defaults.js';
import type { RuleHit } from '../rules/types.js';
import { createAlertStore, type AlertStore } from './alert-store.js';

const T0 = Date.UTC(2026, 11, 4, 12);
const reuse = DEFAULT_RULES.find((r) => r.id === 'token-reuse')!;
const brute = DEFAULT_RULES.find((r) => r.id === 'brute-force.account')!;
const hit = (rule = reuse, groupKey = 'u1'): RuleHit => ({
  rule, groupKey,
  events: [{ type: 'auth.refresh.reused', time: T0, actor: groupKey, target: 's1', outcome: 'denied', ip: '192.0.2.1', requestId: 'r1' }],
});

describe.each(await databaseBackends())('alert store on $name', (backend) => {
  let throwaway: ThrowawayDatabase;
  let db: Database;
  let store: AlertStore;

  beforeAll(async () => {
    throwaway = await backend.provision();
    db = await createDatabase(throwaway.url);
    await db.migrate();
    store = createAlertStore(db);
  });
  afterAll(async () => {
    await db.close();
    await throwaway.drop();
  });

  it('stores and reads back every field', async () => {
    const alert = await store.insert(hit(), T0);
    expect(await store.get(alert.id)).toEqual({
      id: alert.id, ruleId: 'token-reuse', ruleVersion: 1, severity: 'critical', title: reuse.title, groupKey: 'u1',
      events: hit().events, createdAt: T0, ackedAt: null, ackedBy: null,
    });
    expect(await store.get('8a3b8f0e-4c59-4f8e-9d4c-2a6f3b1e7c10')).toBeNull();
  });

  it('pages newest first with a cursor and filters by status and severity', async () => {
    const made = [];
    for (let i = 1; i <= 5; i++) made.push(await store.insert(hit(i % 2 ? reuse : brute, `p${i}`), T0 + 1_000 * i));
    const page1 = await store.list({ limit: 2 });
    expect(page1.map((a) => a.groupKey)).toEqual(['p5', 'p4']);
    const page2 = await store.list({ limit: 2, before: { createdAt: page1[1]!.createdAt, id: page1[1]!.id } });
    expect(page2.map((a) => a.groupKey)).toEqual(['p3', 'p2']);
    expect((await store.list({ limit: 50, severity: 'high' })).map((a) => a.groupKey)).toEqual(['p4', 'p2']);
    await store.ack(made[0]!.id, 'admin-1', T0 + 9_000);
    expect((await store.list({ limit: 50, status: 'acked' })).map((a) => a.groupKey)).toEqual(['p1']);
    expect((await store.list({ limit: 50, status: 'open' })).map((a) => a.groupKey)).not.toContain('p1');
  });

  it('acknowledges atomically: of two concurrent admins exactly one is recorded', async () => {
    const alert = await store.insert(hit(reuse, 'race'), T0);
    const results = await Promise.all([store.ack(alert.id, 'admin-a', T0 + 1), store.ack(alert.id, 'admin-b', T0 + 2)]);
    expect(results.map((r) => r.result).sort()).toEqual(['acked', 'already']);
    const winner = results.find((r) => r.result === 'acked')!.alert!;
    expect(results.map((r) => r.alert!.ackedBy)).toEqual([winner.ackedBy, winner.ackedBy]);
    expect((await store.ack('8a3b8f0e-4c59-4f8e-9d4c-2a6f3b1e7c10', 'admin-a', T0)).result).toBe('missing');
  });
});
