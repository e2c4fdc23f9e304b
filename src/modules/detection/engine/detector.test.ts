/**
 * Rule engine boundaries: for every default counting rule N−1 matching events raise nothing, the
 * N-th raises exactly one hit, the (N+1)-th no duplicate; a new window raises again. Sequences
 * fire only in order and within their window; single rules dedup per group.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createManualClock } from '../../../lib/clock/index.js';
import type { SecurityEvent } from '../../../lib/events/index.js';
import { createStateStore, type StateStore } from '../../../lib/state/index.js';
import { stateBackends, uniqueKeyPrefix } from '../../../../test/support/backends.js';
import { DEFAULT_RULES } from '../rules/defaults.js';
import type { DistinctRule, SequenceRule, ThresholdRule } from '../rules/types.js';
import { createDetector, MAX_EVIDENCE, type Detector } from './detector.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
let state: StateStore;
let detector: Detector;

/** A fresh store per test; on Redis its server clock rules the windows, so expiry tests stay on memory. */
function useStore(redisUrl?: string): void {
  beforeEach(async () => {
    state = await createStateStore({ clock, keyPrefix: uniqueKeyPrefix(), ...(redisUrl ? { redisUrl } : {}) });
    detector = createDetector({ state, clock, rules: DEFAULT_RULES });
  });
  afterEach(async () => state.close());
}

let seq = 0;
function ev(partial: Partial<SecurityEvent> & { type: string }): SecurityEvent {
  seq++;
  return { time: clock.now(), actor: 'anonymous', target: null, outcome: 'failure', ip: '203.0.113.9', requestId: `r${seq}`, details: {}, ...partial };
}
const ruleIds = async (event: SecurityEvent) => (await detector.observe(event)).map((h) => h.rule.id);
const rule = <T>(id: string) => DEFAULT_RULES.find((r) => r.id === id) as T;

/** Events that match only the named rule's counter for one group, the i-th distinct where needed. */
const makers: Record<string, (i: number) => SecurityEvent> = {
  'brute-force.account': () => ev({ type: 'auth.login', target: 'user-1', ip: null, details: { reason: 'bad_credentials' } }),
  'brute-force.ip': () => ev({ type: 'auth.login', target: null, ip: '198.51.100.20' }),
  'credential-stuffing': (i) => ev({ type: 'auth.login', target: null, ip: '198.51.100.30', details: { accountKey: `key-${i}` } }),
  'signature-failure-burst': (i) => ev({ type: ['signature.invalid', 'signature.expired', 'signature.replay'][i % 3]!, ip: '198.51.100.40' }),
  'risk-rejection-burst': () => ev({ type: 'risk.rejected', actor: 'trader-1', outcome: 'denied', ip: null }),
};

describe.each(await stateBackends())('on $name state', ({ redisUrl }) => {
  useStore(redisUrl);

  it.each(Object.keys(makers))('%s: N−1 events raise nothing, the N-th exactly one alert, the N+1-th no duplicate', async (id) => {
    const r = rule<ThresholdRule | DistinctRule>(id);
    const make = makers[id]!;
    for (let i = 1; i < r.count; i++) expect(await ruleIds(make(i))).not.toContain(id);
    const hits = (await detector.observe(make(r.count))).filter((h) => h.rule.id === id);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.events).toHaveLength(Math.min(r.count, MAX_EVIDENCE));
    expect(await ruleIds(make(r.count + 1))).not.toContain(id);
  });

  it('two replicas sharing the state raise exactly one alert for a concurrent burst', async () => {
    const replica = createDetector({ state, clock, rules: DEFAULT_RULES });
    const r = rule<ThresholdRule>('signature-failure-burst');
    const results = await Promise.all(Array.from({ length: r.count * 2 }, (_, i) =>
      (i % 2 ? detector : replica).observe(makers['signature-failure-burst']!(i))));
    expect(results.flat().filter((h) => h.rule.id === r.id)).toHaveLength(1);
  });

  it('token reuse alerts once per user per window, and separately per user', async () => {
    const reuse = (actor: string) => ev({ type: 'auth.refresh.reused', actor, outcome: 'denied' });
    expect(await ruleIds(reuse('u1'))).toEqual(['token-reuse']);
    expect(await ruleIds(reuse('u1'))).toEqual([]);
    expect(await ruleIds(reuse('u2'))).toEqual(['token-reuse']);
  });
});

describe('on memory state with a manual clock', () => {
  useStore();

  it.each(Object.keys(makers))('%s raises again once a new window has passed', async (id) => {
    const r = rule<ThresholdRule | DistinctRule>(id);
    const make = makers[id]!;
    for (let i = 1; i <= r.count; i++) await detector.observe(make(i));
    clock.advance(r.windowMs + 1);
    const again: string[] = [];
    for (let i = 1; i <= r.count; i++) again.push(...await ruleIds(make(100 + i)));
    expect(again.filter((x) => x === id)).toHaveLength(1);
  });

describe('distinct rule', () => {
  it('counts each account once: N−1 accounts tried many times raise no credential-stuffing alert', async () => {
    const r = rule<DistinctRule>('credential-stuffing');
    for (let round = 0; round < 5; round++) {
      for (let i = 1; i < r.count; i++) expect(await ruleIds(makers['credential-stuffing']!(i))).not.toContain(r.id);
    }
  });

  it('keeps groups apart: the same accounts from two addresses count per address', async () => {
    const r = rule<DistinctRule>('credential-stuffing');
    for (let i = 1; i < r.count; i++) {
      expect(await ruleIds(ev({ type: 'auth.login', ip: '192.0.2.1', details: { accountKey: `v${i}` } }))).not.toContain(r.id);
      expect(await ruleIds(ev({ type: 'auth.login', ip: '192.0.2.2', details: { accountKey: `v${i}` } }))).not.toContain(r.id);
    }
    expect(await ruleIds(ev({ type: 'auth.login', ip: '192.0.2.2', details: { accountKey: 'v-last' } }))).toContain(r.id);
  });

  it('counts unknown emails: failures without a target but with an account key reach the threshold', async () => {
    const r = rule<DistinctRule>('credential-stuffing');
    const unknown = (i: number) => ev({ type: 'auth.login', target: null, ip: '192.0.2.3', details: { reason: 'bad_credentials', accountKey: `unknown-${i}` } });
    for (let i = 1; i < r.count; i++) expect(await ruleIds(unknown(i))).not.toContain(r.id);
    expect(await ruleIds(unknown(r.count))).toContain(r.id);
  });
});

describe('single rule: token reuse', () => {
  it('alerts on the first reuse, once per user per window, and separately per user', async () => {
    const reuse = (actor: string) => ev({ type: 'auth.refresh.reused', actor, outcome: 'denied' });
    expect(await ruleIds(reuse('u1'))).toEqual(['token-reuse']);
    expect(await ruleIds(reuse('u1'))).toEqual([]);
    expect(await ruleIds(reuse('u2'))).toEqual(['token-reuse']);
    clock.advance(rule<SequenceRule>('token-reuse').windowMs + 1);
    expect(await ruleIds(reuse('u1'))).toEqual(['token-reuse']);
  });
});

describe('sequence rule: takeover', () => {
  const id = 'takeover.apikey-after-guessing';
  const failed = (user: string) => ev({ type: 'auth.login', target: user, ip: null });
  const success = (user: string) => ev({ type: 'auth.login', actor: user, target: user, outcome: 'success', ip: null });
  const keyCreated = (user: string) => ev({ type: 'apikey.created', actor: user, target: 'key-1', outcome: 'success', ip: null });

  it('fires on failure → success → API key, with the three events as evidence', async () => {
    expect(await ruleIds(failed('u7'))).not.toContain(id);
    expect(await ruleIds(success('u7'))).not.toContain(id);
    const hits = (await detector.observe(keyCreated('u7'))).filter((h) => h.rule.id === id);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.groupKey).toBe('u7');
    expect(hits[0]!.events.map((e) => `${e.type}/${e.outcome}`)).toEqual(['auth.login/failure', 'auth.login/success', 'apikey.created/success']);
  });

  it('does not fire out of order, for another user, or after the window', async () => {
    await detector.observe(success('u8'));
    await detector.observe(failed('u8'));
    expect(await ruleIds(keyCreated('u8'))).not.toContain(id);
    await detector.observe(failed('u9'));
    await detector.observe(success('u9'));
    expect(await ruleIds(keyCreated('u10'))).not.toContain(id);
    await detector.observe(failed('u11'));
    await detector.observe(success('u11'));
    clock.advance(rule<SequenceRule>(id).windowMs + 1);
    expect(await ruleIds(keyCreated('u11'))).not.toContain(id);
  });
});

it('never feeds its own alert events back into the rules', async () => {
  const reuse = ev({ type: 'auth.refresh.reused', actor: 'u1' });
  expect(await ruleIds({ ...reuse, type: 'alert.raised' })).toEqual([]);
});
});
