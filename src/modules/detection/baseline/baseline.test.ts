/**
 * Baselines in the shared state: a user's logins are learnt across detector instances (replicas)
 * and a login far from the baseline yields an anomaly only after warm-up, `high` from the alert
 * threshold on; withdrawal amounts likewise.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createManualClock } from '../../../lib/clock/index.js';
import type { SecurityEvent } from '../../../lib/events/index.js';
import { createStateStore, type StateStore } from '../../../lib/state/index.js';
import { stateBackends, uniqueKeyPrefix } from '../../../../test/support/backends.js';
import type { GeoLocator } from '../geo/locator.js';
import { createBaselines } from './baseline.js';
import { DEFAULT_BASELINE_POLICY as P } from './profile.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 9));
const geo: GeoLocator = { locate: (ip) => (ip === 'paris' ? { country: 'FR', lat: 48.9, lon: 2.3, accuracyKm: 20 } : ip === 'tokyo' ? { country: 'JP', lat: 35.7, lon: 139.7, accuracyKm: 20 } : null) };
const login = (user: string, ip: string, device: string): SecurityEvent =>
  ({ type: 'auth.login', time: clock.now(), actor: user, target: user, outcome: 'success', ip, requestId: null, details: { device } });
const withdrawal = (user: string, amount: string): SecurityEvent =>
  ({ type: 'withdrawal.requested', time: clock.now(), actor: user, target: 'w1', outcome: 'success', ip: null, requestId: null, details: { userId: user, amount } });

let state: StateStore;

describe.each(await stateBackends())('on $name state', ({ redisUrl }) => {
  beforeEach(async () => { state = await createStateStore({ clock, keyPrefix: uniqueKeyPrefix(), ...(redisUrl ? { redisUrl } : {}) }); });
  afterEach(async () => state.close());

  it.each([
    [P.minObservations - 1, null],
    [P.minObservations, 'high'],
  ])('after %i usual logins (learnt by two replicas), a login from a new country and device is: %s', async (prior, level) => {
    const replicas = [createBaselines({ state, geo }), createBaselines({ state, geo })];
    for (let i = 0; i < prior; i++) expect(await replicas[i % 2]!.observe(login('u1', 'paris', 'laptop'))).toBeNull();
    const anomaly = await replicas[0]!.observe(login('u1', 'tokyo', 'phone'));
    expect(anomaly?.level ?? null).toBe(level);
    if (level) expect(anomaly).toMatchObject({ userId: 'u1', reasons: ['new-country', 'new-device'] });
  });

  it('reports an elevated (not high) anomaly for a new device alone, nothing for the usual pattern', async () => {
    const baselines = createBaselines({ state, geo });
    for (let i = 0; i < P.minObservations; i++) await baselines.observe(login('u2', 'paris', 'laptop'));
    expect(await baselines.observe(login('u2', 'paris', 'laptop'))).toBeNull();
    expect(await baselines.observe(login('u2', 'paris', 'tablet'))).toEqual({ userId: 'u2', score: P.weights.device, reasons: ['new-device'], level: 'elevated' });
  });

  it('flags a withdrawal far larger than the user\'s usual ones, ignores other events', async () => {
    const baselines = createBaselines({ state, geo });
    for (let i = 0; i < P.minObservations; i++) expect(await baselines.observe(withdrawal('u3', '100.5'))).toBeNull();
    expect(await baselines.observe(withdrawal('u3', '120'))).toBeNull();
    expect(await baselines.observe(withdrawal('u3', '50000'))).toMatchObject({ userId: 'u3', reasons: ['large-amount'], level: 'high' });
    expect(await baselines.observe({ ...withdrawal('u3', '9'), type: 'withdrawal.rejected' })).toBeNull();
    expect(await baselines.observe(withdrawal('u3', 'not-a-number'))).toBeNull();
  });
});
