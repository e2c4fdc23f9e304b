import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../lib/clock/index.js';
import { createStateStore, type StateStore } from '../../../lib/state/index.js';
import { stateBackends, uniqueKeyPrefix } from '../../../../test/support/backends.js';
import type { Observation } from '../aggregate/aggregate.js';
import { checkSequence } from '../feed/verify.js';
import { createObservationStore, decodeObservation, encodeObservation, type ObservationStore } from './observations.js';

const candidate = (sequence: number, price = 100n * 10n ** 18n): Omit<Observation, 'changedAt'> => ({ sourceId: 'feed-a', price, timestamp: 1_000 + sequence, sequence });
const bySequence = (sequence: number) => (previous: Observation | null) => checkSequence(sequence, previous?.sequence ?? null);

describe.each(await stateBackends())('observation store on $name', (backend) => {
  let state: StateStore;
  let store: ObservationStore;
  const keyPrefix = uniqueKeyPrefix();
  beforeAll(async () => {
    state = await createStateStore({ ...(backend.redisUrl ? { redisUrl: backend.redisUrl } : {}), keyPrefix, clock: createManualClock() });
    store = createObservationStore(state);
  });
  afterAll(async () => {
    await state.close();
    if (!backend.redisUrl) return;
    const admin = new Redis(backend.redisUrl);
    const keys = await admin.keys(`${keyPrefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('round-trips observations with 18-decimal prices beyond 2^53', async () => {
    const o: Observation = { sourceId: 'x', price: 123_456_789_012_345_678_901_234_567n, timestamp: 5, sequence: 9_007_199_254_740_991, changedAt: 4 };
    expect(decodeObservation('x', encodeObservation(o))).toEqual(o);
    expect(decodeObservation('x', '{"p":"1e5","t":1,"s":1,"c":1}')).toBeNull();
    expect(decodeObservation('x', '{"p":"-5","t":1,"s":1,"c":1}')).toBeNull();
    expect(decodeObservation('x', 'not json')).toBeNull();
  });

  it('accepts increasing sequences and refuses a replay', async () => {
    expect(await store.advance('BTC-USD', candidate(1), bySequence(1))).toMatchObject({ ok: true, previous: null });
    expect(await store.advance('BTC-USD', candidate(2), bySequence(2))).toMatchObject({ ok: true, previous: { sequence: 1 } });
    expect(await store.advance('BTC-USD', candidate(2), bySequence(2))).toMatchObject({ ok: false, code: 'PRICE_SEQUENCE_REPLAYED' });
    expect((await store.load('BTC-USD', 'feed-a'))?.sequence).toBe(2);
  });

  it('lets exactly one of many concurrent writers of the same sequence win', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => store.advance('ETH-USD', candidate(50), bySequence(50))));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.code === 'PRICE_SEQUENCE_REPLAYED')).toBe(true);
  });

  it('keeps changedAt while the price is unchanged (flat-line detection)', async () => {
    await store.advance('SOL-USD', candidate(1), bySequence(1));
    const same = await store.advance('SOL-USD', candidate(2), bySequence(2));
    expect(same).toMatchObject({ ok: true, observation: { changedAt: 1_001 } });
    const moved = await store.advance('SOL-USD', candidate(3, 101n * 10n ** 18n), bySequence(3));
    expect(moved).toMatchObject({ ok: true, observation: { changedAt: 1_003 } });
  });

  it('delivers published observations to the other instances only', async () => {
    const other = createObservationStore(state);
    const received: [string, Observation][] = [];
    const own: Observation[] = [];
    const unsubscribe = await other.subscribe((symbol, o) => received.push([symbol, o]));
    const unsubscribeOwn = await store.subscribe((_symbol, o) => own.push(o));
    const o: Observation = { sourceId: 'feed-b', price: 5n, timestamp: 1, sequence: 1, changedAt: 1 };
    await store.publish('BTC-USD', 'feed-b', encodeObservation(o));
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]).toEqual(['BTC-USD', o]);
    expect(own).toEqual([]);
    await unsubscribe();
    await unsubscribeOwn();
  });
});
