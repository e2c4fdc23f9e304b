/**
 * Adaptive limits (issue 7 acceptance): a client that triggers failures sees its allowed rate
 * fall, then recover after good behaviour, at exactly the thresholds of its configuration.
 * Every expected number below is computed from DEFAULT_NETWORK_CONFIG, the configuration the
 * platform runs with; time is a manual clock.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock/index.js';
import type { SecurityEvent } from '../../src/lib/events/index.js';
import { DEFAULT_NETWORK_CONFIG, scaleLimit, type NetworkCapability } from '../../src/modules/network/index.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const { adaptive, classes } = DEFAULT_NETWORK_CONFIG;
const base = classes.auth.perIp!;
const tier = (name: string) => adaptive.tiers.find((t) => t.name === name)!;
const limitIn = (name: string) => scaleLimit(base, Math.min(adaptive.maxFactor, Math.max(adaptive.minFactor, tier(name).factor))).limit;

const clock = createManualClock(Date.UTC(2026, 6, 1));
const CLIENT = '192.0.2.77';
const tierEvents: [unknown, unknown][] = [];
let platform: TestPlatform;

function routes(app: FastifyInstance): void {
  app.post('/v1/test/session', { config: { rateLimit: 'auth' } }, async () => ({ ok: true }));
}

beforeAll(async () => {
  // Exact thresholds from login failures alone: the detection module's own brute-force alerts
  // (which also feed risk, src/modules/network/signals.ts) would add their weight on top, so its
  // rules are off here; the mapping of alerts to risk is tested in signals.test.ts.
  platform = await startTestPlatform({ Q2_TRUST_PROXY: '127.0.0.1/32' }, {
    clock, routes: [routes], insecureHttp: true, capabilities: { detection: { rules: [] } },
  });
  platform.events.subscribe('test', (e: SecurityEvent) => {
    if (e.type === 'network.risk_tier_changed' && e.target === `ip:${CLIENT}`) tierEvents.push([e.details.from, e.details.to]);
  });
});
afterAll(async () => platform.stop());

const request = () => platform.app.inject({ method: 'POST', url: '/v1/test/session', headers: { 'x-forwarded-for': CLIENT, 'content-type': 'application/json' }, payload: '{}' });
const allowedRate = async () => Number((await request()).headers['ratelimit-limit']);

/** What the identity module emits on a wrong password; the network layer listens for it. */
async function loginFailures(n: number): Promise<void> {
  for (let i = 0; i < n; i++) platform.events.emit({ type: 'auth.login', actor: 'anonymous', outcome: 'failure', ip: CLIENT, details: { reason: 'bad_credentials' } });
  await platform.events.drain();
}

/** Spends the whole budget; returns how many requests were allowed in the burst. */
async function burst(): Promise<number> {
  let allowed = 0;
  for (;;) {
    const res = await request();
    if (res.statusCode !== 200) return allowed;
    allowed++;
  }
}

describe('a client that triggers failures', () => {
  const perFailure = adaptive.weights['auth-failure'];
  const toElevated = Math.ceil(tier('elevated').minScore / perFailure);
  const toHigh = Math.ceil(tier('high').minScore / perFailure);

  it('keeps its normal rate until the score reaches the elevated threshold, not one failure earlier', async () => {
    expect(await allowedRate()).toBe(base.limit);
    await loginFailures(toElevated - 1);
    expect(await allowedRate()).toBe(base.limit);
    await loginFailures(1);
    expect(await allowedRate()).toBe(limitIn('elevated'));
  });

  it('falls again at the high threshold, and a burst gets exactly the high-tier budget', async () => {
    await loginFailures(toHigh - toElevated - 1);
    expect(await allowedRate()).toBe(limitIn('elevated'));
    await loginFailures(1);
    // The bucket remembers what the client spent as time owed (its GCRA form): the four requests
    // since it was last full (two at the normal rate, two at the elevated one) still count, now
    // at the high tier's slower refill. This request and the burst after it get exactly the
    // rest of the high-tier budget, never more than that budget.
    const intervalMs = (name: string) => base.windowMs / limitIn(name);
    const owedMs = 2 * intervalMs('normal') + 2 * intervalMs('elevated');
    expect(await allowedRate()).toBe(limitIn('high'));
    expect(1 + await burst()).toBe(Math.floor(limitIn('high') - owedMs / intervalMs('high')));
  });

  it('recovers with good behaviour: one half-life without failures, then another, back to normal', async () => {
    // The refused request of the burst was itself a signal; the score is now high-tier plus that.
    clock.advance(adaptive.halfLifeMs);
    expect(await allowedRate()).toBe(limitIn('elevated'));
    clock.advance(adaptive.halfLifeMs);
    expect(await allowedRate()).toBe(limitIn('normal'));
    clock.advance(base.windowMs);
    expect(await burst()).toBe(base.limit);
  });

  it('earns the trusted tier with multi-factor logins, bounded by maxFactor', async () => {
    clock.advance(10 * adaptive.halfLifeMs); // forget the past entirely
    const mfaLogin = () => platform.events.emit({ type: 'auth.login', actor: 'user-77', outcome: 'success', ip: CLIENT, details: { amr: ['pwd', 'otp'] } });
    const needed = Math.floor(tier('normal').minScore / adaptive.weights['good-standing']) + 1;
    for (let i = 0; i < needed - 1; i++) mfaLogin();
    await platform.events.drain();
    expect(await allowedRate()).toBe(limitIn('normal'));
    mfaLogin();
    await platform.events.drain();
    expect(await allowedRate()).toBe(limitIn('trusted'));
    expect(limitIn('trusted')).toBeLessThanOrEqual(base.limit * adaptive.maxFactor);
  });

  it('announced every change of tier as a security event, in order', async () => {
    await platform.events.drain();
    expect(tierEvents).toEqual([
      ['normal', 'elevated'], ['elevated', 'high'], ['high', 'elevated'], ['elevated', 'normal'], ['normal', 'trusted'],
    ]);
  });
});

describe('detection signals through the API', () => {
  it('tighten an account by a detection alert of the configured weight', async () => {
    const network = platform.capabilities.find((c) => c.name === 'network') as NetworkCapability;
    await network.protection.recordSignal('ip:192.0.2.78', 'detection-alert');
    const res = await platform.app.inject({ method: 'POST', url: '/v1/test/session', headers: { 'x-forwarded-for': '192.0.2.78', 'content-type': 'application/json' }, payload: '{}' });
    expect(adaptive.weights['detection-alert']).toBeGreaterThanOrEqual(tier('elevated').minScore);
    expect(Number(res.headers['ratelimit-limit'])).toBeLessThan(base.limit);
    await expect(network.protection.recordSignal('bogus', 'anomaly')).rejects.toThrow(TypeError);
  });
});
