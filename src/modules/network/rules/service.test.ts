import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../lib/clock/index.js';
import { createDatabase, type Database } from '../../../lib/db/index.js';
import { createSecurityEventBus, type SecurityEvent } from '../../../lib/events/index.js';
import { createMemoryStateStore, type StateStore } from '../../../lib/state/index.js';
import { createThrowawaySqlite, type ThrowawayDatabase } from '../../../../test/support/backends.js';
import { createRuleRepository } from './repository.js';
import { createRuleService, type RuleService } from './service.js';

describe('rule service (two replicas, one database, one pub/sub)', () => {
  const clock = createManualClock();
  const events = createSecurityEventBus({ clock });
  const seen: SecurityEvent[] = [];
  events.subscribe('test', (e) => { seen.push(e); });
  let throwaway: ThrowawayDatabase;
  let db: Database;
  let state: StateStore;
  let a: RuleService;
  let b: RuleService;
  const errors: unknown[] = [];

  beforeAll(async () => {
    throwaway = await createThrowawaySqlite();
    db = await createDatabase(throwaway.url);
    await db.migrate();
    state = createMemoryStateStore({ clock });
    const options = { repository: createRuleRepository(db.kysely), state, events, clock, resyncMs: 3_600_000, onError: (e: unknown) => errors.push(e) };
    a = createRuleService(options);
    b = createRuleService(options);
    await a.start();
    await b.start();
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await state.close();
    await db.close();
    await throwaway.drop();
  });

  it('applies a new rule on the other replica from the message alone', async () => {
    const rule = await a.create({ kind: 'ip', subject: '192.0.2.0/24', action: 'deny', source: 'admin', reason: 'r', expiresAt: null }, { actor: 'admin-1' });
    expect(a.matcher().matchIp('192.0.2.1', clock.now())?.id).toBe(rule.id);
    expect(b.matcher().matchIp('192.0.2.1', clock.now())?.id).toBe(rule.id);
    expect(await b.remove(rule.id, { actor: 'admin-1' })).toMatchObject({ id: rule.id });
    expect(a.matcher().matchIp('192.0.2.1', clock.now())).toBeNull();
  });

  it('loads the live rules a replica missed, at start and at resync', async () => {
    await createRuleRepository(db.kysely).insert({ id: 'missed', kind: 'user', subject: 'u1', action: 'deny', source: 'recidive', reason: 'r', createdBy: 'system', createdAt: clock.now(), expiresAt: clock.now() + 1_000 });
    expect(a.matcher().subjectBan('user:u1', clock.now())).toBeNull();
    await a.resync();
    expect(a.matcher().subjectBan('user:u1', clock.now())?.id).toBe('missed');
  });

  it('purges an expired rule and announces it exactly once across replicas', async () => {
    clock.advance(1_000);
    seen.length = 0;
    await Promise.all([a.resync(), b.resync()]);
    await events.drain();
    expect(seen.filter((e) => e.type === 'network.ban_expired').map((e) => e.details.ruleId)).toEqual(['missed']);
    expect(a.matcher().rules()).toEqual([]);
    expect(errors).toEqual([]);
  });
});
