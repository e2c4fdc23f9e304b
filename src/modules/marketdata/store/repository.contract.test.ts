import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../../lib/db/index.js';
import { databaseBackends, type ThrowawayDatabase } from '../../../../test/support/backends.js';
import { createMarketDataRepository, type HaltRow, type MarketDataRepository } from './repository.js';

const halt = (haltId: string): HaltRow => ({ symbol: 'BTC-USD', haltId, reason: 'jump', since: 9_007_199_254_740_000, details: { moveBps: 1200 }, createdBy: 'system' });

describe.each(await databaseBackends())('market-data repository on $name', (backend) => {
  let throwaway: ThrowawayDatabase;
  let db: Database;
  let repo: MarketDataRepository;
  beforeAll(async () => {
    throwaway = await backend.provision();
    db = await createDatabase(throwaway.url);
    await db.migrate();
    repo = createMarketDataRepository(db.kysely);
  });
  afterAll(async () => {
    await db.close();
    await throwaway.drop();
  });

  it('registers a source id once, even under concurrent registrations', async () => {
    const row = { sourceId: 'feed-a', publicKeyPem: 'PEM', symbols: ['BTC-USD'], status: 'active' as const, createdBy: 'admin', createdAt: 1_000 };
    const results = await Promise.all(Array.from({ length: 8 }, () => repo.insertSource(row)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await repo.listSources()).toEqual([{ ...row, revokedAt: null }]);
  });

  it('revokes an active source once and keeps the row so the id is never reused', async () => {
    expect(await repo.revokeSource('feed-a', 'admin', 2_000)).toBe(true);
    expect(await repo.revokeSource('feed-a', 'admin', 3_000)).toBe(false);
    expect(await repo.insertSource({ sourceId: 'feed-a', publicKeyPem: 'NEW', symbols: [], status: 'active', createdBy: 'x', createdAt: 4_000 })).toBe(false);
    expect(await repo.listSources()).toMatchObject([{ sourceId: 'feed-a', status: 'revoked', revokedAt: 2_000, publicKeyPem: 'PEM' }]);
  });

  it('versions symbol policies', async () => {
    expect(await repo.putPolicy('BTC-USD', { minPrice: '1' }, 'admin', 1_000)).toBe(1n);
    expect(await repo.putPolicy('BTC-USD', { minPrice: '2' }, 'admin', 2_000)).toBe(2n);
    expect(await repo.listPolicies()).toEqual([{ symbol: 'BTC-USD', policy: { minPrice: '2' }, version: 2n, updatedAt: 2_000 }]);
  });

  it('records one halt per symbol: exactly one of concurrent halts wins', async () => {
    const results = await Promise.all(['h1', 'h2', 'h3', 'h4'].map((id) => repo.insertHalt(halt(id))));
    expect(results.filter(Boolean)).toHaveLength(1);
    const [stored] = await repo.listHalts();
    expect(stored).toMatchObject({ symbol: 'BTC-USD', reason: 'jump', since: 9_007_199_254_740_000, details: { moveBps: 1200 } });
  });

  it('lifts a halt only by its id, and only once', async () => {
    const [stored] = await repo.listHalts();
    expect(await repo.deleteHalt('BTC-USD', 'some-older-halt')).toBe(false);
    const results = await Promise.all([repo.deleteHalt('BTC-USD', stored!.haltId), repo.deleteHalt('BTC-USD', stored!.haltId)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await repo.listHalts()).toEqual([]);
  });
});
