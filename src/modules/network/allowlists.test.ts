import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock/index.js';
import { createDatabase, type Database } from '../../lib/db/index.js';
import { createSecurityEventBus, type SecurityEvent } from '../../lib/events/index.js';
import { createStateStore, type StateStore } from '../../lib/state/index.js';
import { databaseBackends, testRedisUrl, uniqueKeyPrefix, type ThrowawayDatabase } from '../../../test/support/backends.js';
import { createIpAllowlists, normaliseAllowlist, type IpAllowlists } from './allowlists.js';

describe('normaliseAllowlist', () => {
  it('canonicalises and de-duplicates, and names a bad entry', () => {
    expect(normaliseAllowlist(['198.51.100.7', '198.51.100.7/32', '2001:DB8::/48'])).toEqual(['198.51.100.7/32', '2001:db8::/48']);
    expect(() => normaliseAllowlist(['10.0.0.1/8'])).toThrow(/10\.0\.0\.1\/8/);
    expect(() => normaliseAllowlist(Array.from({ length: 65 }, (_, i) => `10.0.0.${i}`))).toThrow(/at most 64/);
  });
});

const redisUrl = await testRedisUrl();

describe.each(await databaseBackends())('trading allowlists on $name (two replicas)', (backend) => {
  const clock = createManualClock();
  const events = createSecurityEventBus({ clock });
  const seen: SecurityEvent[] = [];
  events.subscribe('test', (e) => { seen.push(e); });
  let throwaway: ThrowawayDatabase;
  let db: Database;
  let stores: StateStore[];
  let a: IpAllowlists;
  let b: IpAllowlists;

  beforeAll(async () => {
    throwaway = await backend.provision();
    db = await createDatabase(throwaway.url);
    await db.migrate();
    const keyPrefix = uniqueKeyPrefix();
    const first = await createStateStore({ redisUrl: redisUrl ?? undefined, keyPrefix, clock });
    const second = redisUrl ? await createStateStore({ redisUrl, keyPrefix, clock }) : first;
    stores = redisUrl ? [first, second] : [first];
    const common = { db: db.kysely, events, clock, cacheMs: 60_000, maxCached: 100 };
    a = createIpAllowlists({ ...common, state: first });
    b = createIpAllowlists({ ...common, state: second });
    await a.start();
    await b.start();
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await Promise.all(stores.map((s) => s.close()));
    await db.close();
    await throwaway.drop();
  });

  it('leaves a subject without a list unrestricted', async () => {
    expect(await a.check('203.0.113.1', [{ kind: 'user', id: 'u1' }])).toEqual({ allowed: true });
  });

  it('restricts once a list is set, on the other replica too despite its cached copy, and audits the change', async () => {
    expect(await b.get({ kind: 'user', id: 'u1' })).toEqual([]); // b caches "no list"
    await a.replace({ kind: 'user', id: 'u1' }, ['198.51.100.0/24'], { actor: 'u1', ip: '198.51.100.9', requestId: 'r1' });
    for (let i = 0; i < 200 && (await b.get({ kind: 'user', id: 'u1' })).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(await b.check('203.0.113.1', [{ kind: 'user', id: 'u1' }])).toEqual({ allowed: false, subject: { kind: 'user', id: 'u1' } });
    expect(await b.check('198.51.100.20', [{ kind: 'user', id: 'u1' }])).toEqual({ allowed: true });
    await events.drain();
    expect(seen).toContainEqual(expect.objectContaining({ type: 'network.allowlist_changed', actor: 'u1', target: 'user:u1', details: { cidrs: ['198.51.100.0/24'] } }));
  });

  it('checks the API key list as well as its user list', async () => {
    await a.replace({ kind: 'apikey', id: 'k1' }, ['198.51.100.20'], { actor: 'u1' });
    const subjects = [{ kind: 'user' as const, id: 'u1' }, { kind: 'apikey' as const, id: 'k1' }];
    expect(await a.check('198.51.100.20', subjects)).toEqual({ allowed: true });
    expect(await a.check('198.51.100.21', subjects)).toEqual({ allowed: false, subject: { kind: 'apikey', id: 'k1' } });
  });

  it('removes the restriction with an empty list', async () => {
    await a.replace({ kind: 'user', id: 'u1' }, [], { actor: 'u1' });
    expect(await a.check('203.0.113.1', [{ kind: 'user', id: 'u1' }])).toEqual({ allowed: true });
  });
});
