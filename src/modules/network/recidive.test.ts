import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock/index.js';
import { createStateStore, type StateStore } from '../../lib/state/index.js';
import { stateBackends, uniqueKeyPrefix } from '../../../test/support/backends.js';
import { DEFAULT_NETWORK_CONFIG } from './config.js';
import { banDurationMs, createOffenceTracker } from './recidive.js';

const recidive = DEFAULT_NETWORK_CONFIG.recidive;
const MIN = 60_000;

describe('ban durations (Binance range: 2 minutes to 3 days)', () => {
  it('grow by the configured factor from the base and stop at the cap', () => {
    const levels = [1, 2, 3, 4, 5, 6, 7, 8].map((level) => banDurationMs(level, recidive));
    expect(levels).toEqual([2 * MIN, 8 * MIN, 32 * MIN, 128 * MIN, 512 * MIN, 2048 * MIN, 3 * 24 * 60 * MIN, 3 * 24 * 60 * MIN]);
  });

  it('refuses a level below 1', () => {
    expect(() => banDurationMs(0, recidive)).toThrow(TypeError);
  });
});

describe.each(await stateBackends())('offence tracker on $name', ({ redisUrl }) => {
  let state: StateStore;
  const clock = createManualClock();
  beforeAll(async () => {
    state = await createStateStore({ redisUrl, keyPrefix: uniqueKeyPrefix(), clock });
  });
  afterAll(async () => state.close());

  it('bans on exactly the maxOffences-th offence, then starts counting again with a longer ban', async () => {
    const tracker = createOffenceTracker(state, { ...recidive, maxOffences: 3 });
    const first = [await tracker.offend('ip:192.0.2.1'), await tracker.offend('ip:192.0.2.1'), await tracker.offend('ip:192.0.2.1')];
    expect(first.map((o) => o.ban?.level ?? null)).toEqual([null, null, 1]);
    expect(first[2]!.ban!.durationMs).toBe(2 * MIN);
    const second = [await tracker.offend('ip:192.0.2.1'), await tracker.offend('ip:192.0.2.1'), await tracker.offend('ip:192.0.2.1')];
    expect(second.map((o) => o.ban?.level ?? null)).toEqual([null, null, 2]);
    expect(second[2]!.ban!.durationMs).toBe(8 * MIN);
  });

  it('issues exactly one ban when many replicas report offences at once', async () => {
    const trackers = [createOffenceTracker(state, { ...recidive, maxOffences: 10 }), createOffenceTracker(state, { ...recidive, maxOffences: 10 })];
    const outcomes = await Promise.all(Array.from({ length: 19 }, (_, i) => trackers[i % 2]!.offend('user:u-concurrent')));
    expect(outcomes.filter((o) => o.ban).map((o) => o.ban!.level)).toEqual([1]);
  });
});
