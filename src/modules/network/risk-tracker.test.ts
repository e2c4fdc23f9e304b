import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock/index.js';
import { createSecurityEventBus, type SecurityEvent } from '../../lib/events/index.js';
import { createStateStore, type StateStore } from '../../lib/state/index.js';
import { stateBackends, uniqueKeyPrefix } from '../../../test/support/backends.js';
import { DEFAULT_NETWORK_CONFIG } from './config.js';
import { createRiskTracker, type RiskTracker } from './risk-tracker.js';

const adaptive = DEFAULT_NETWORK_CONFIG.adaptive;

describe.each(await stateBackends())('risk tracker on $name', ({ redisUrl }) => {
  const clock = createManualClock();
  const events = createSecurityEventBus({ clock });
  const seen: SecurityEvent[] = [];
  events.subscribe('test', (e) => { seen.push(e); });
  let stores: StateStore[] = [];
  let a: RiskTracker;
  let b: RiskTracker;
  const errors: unknown[] = [];

  beforeAll(async () => {
    const keyPrefix = uniqueKeyPrefix();
    // Two replicas share one store on Redis; on memory one store stands for both.
    const first = await createStateStore({ redisUrl, keyPrefix, clock });
    const second = redisUrl ? await createStateStore({ redisUrl, keyPrefix, clock }) : first;
    stores = redisUrl ? [first, second] : [first];
    const options = { events, clock, config: adaptive, maxTracked: 1000, onError: (e: unknown) => errors.push(e) };
    a = createRiskTracker({ ...options, state: first });
    b = createRiskTracker({ ...options, state: second });
    await a.start();
    await b.start();
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await Promise.all(stores.map((s) => s.close()));
  });

  /** Pub/sub delivery on Redis is asynchronous: wait for it, bounded (a deadline, not a sleep). */
  const waitFor = async (predicate: () => boolean) => {
    for (let i = 0; i < 500 && !predicate(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(predicate()).toBe(true);
  };

  it('counts concurrent signals from two replicas, announces the tier change once, and tells the other replica', async () => {
    seen.length = 0;
    await Promise.all([
      ...Array.from({ length: 3 }, () => a.record('ip:192.0.2.50', 'detection-alert', { weight: 10 })),
      ...Array.from({ length: 3 }, () => b.record('ip:192.0.2.50', 'detection-alert', { weight: 10 })),
    ]);
    await waitFor(() => b.peek('ip:192.0.2.50')?.score === 60 && a.peek('ip:192.0.2.50')?.score === 60);
    await events.drain();
    const changes = seen.filter((e) => e.type === 'network.risk_tier_changed').map((e) => e.details.to);
    // 6 × 10 points, each step one CAS: normal → elevated at 30 → high at 60, each announced once.
    expect(changes).toEqual(['elevated', 'high']);
    expect(a.factor('ip:192.0.2.50')).toBe(0.25);
    expect(b.factor('ip:192.0.2.50')).toBe(0.25);
    expect(a.factor('ip:192.0.2.99')).toBe(1);
  });

  it('relaxes by decay and announces the relaxation exactly once', async () => {
    seen.length = 0;
    clock.advance(adaptive.halfLifeMs);
    expect(a.factor('ip:192.0.2.50')).toBe(0.5);
    expect(b.factor('ip:192.0.2.50')).toBe(0.5);
    await waitFor(() => a.peek('ip:192.0.2.50')?.tier === 'elevated' && b.peek('ip:192.0.2.50')?.tier === 'elevated');
    await events.drain();
    expect(seen.filter((e) => e.type === 'network.risk_tier_changed').map((e) => [e.details.from, e.details.to, e.details.signal]))
      .toEqual([['high', 'elevated', 'decay']]);
    expect(errors).toEqual([]);
  });
});
