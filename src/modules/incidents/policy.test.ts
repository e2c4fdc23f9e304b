import { describe, expect, it } from 'vitest';

import type { EventSummary } from '../detection/index.js';
import { DEFAULT_AUTO_CONTAINMENT, dedupKey, detectedAtOf, plannedContainment, shouldOpen, type AlertFacts } from './policy.js';

const event = (time: number): EventSummary => ({ type: 'auth.login', time, actor: 'anonymous', target: 'u1', outcome: 'failure', ip: '203.0.113.9', requestId: null });
const alert = (ruleId: string, groupKey: string): AlertFacts => ({ id: 'a1', ruleId, severity: 'high', title: 't', groupKey, events: [] });
const noneProtected = () => false;

describe('auto-open', () => {
  it('opens at or above the threshold and not below', () => {
    expect(shouldOpen('critical', 'high')).toBe(true);
    expect(shouldOpen('high', 'high')).toBe(true);
    expect(shouldOpen('medium', 'high')).toBe(false);
    expect(shouldOpen('low', 'medium')).toBe(false);
    expect(shouldOpen('low', 'low')).toBe(true);
  });

  it('dedups on (rule, group): the same pair gives one key, another rule or group another', () => {
    expect(dedupKey('credential-stuffing', '203.0.113.9')).toBe(dedupKey('credential-stuffing', '203.0.113.9'));
    expect(dedupKey('credential-stuffing', '203.0.113.9')).not.toBe(dedupKey('credential-stuffing', '203.0.113.10'));
    expect(dedupKey('credential-stuffing', '203.0.113.9')).not.toBe(dedupKey('brute-force.ip', '203.0.113.9'));
    // Attacker-chosen group text is hashed: the key stays short whatever the group.
    expect(dedupKey('r', 'x'.repeat(10_000)).length).toBeLessThan(64);
  });

  it('dates detection at the earliest evidence event, else at the fallback', () => {
    expect(detectedAtOf([event(300), event(100), event(200)], 1_000)).toBe(100);
    expect(detectedAtOf([], 1_000)).toBe(1_000);
    // Evidence "from the future" (clock skew) never moves detection after opening.
    expect(detectedAtOf([event(5_000)], 1_000)).toBe(1_000);
  });
});

describe('auto-containment policy', () => {
  it('revokes the sessions of the account on token reuse', () => {
    expect(plannedContainment(alert('token-reuse', 'user-1'), DEFAULT_AUTO_CONTAINMENT, noneProtected))
      .toEqual([{ kind: 'run', action: 'revoke-sessions', target: 'user-1' }]);
  });

  it('blocks the stuffing address for one hour', () => {
    expect(plannedContainment(alert('credential-stuffing', '203.0.113.9'), DEFAULT_AUTO_CONTAINMENT, noneProtected))
      .toEqual([{ kind: 'run', action: 'block-ip', target: '203.0.113.9', ttlMs: 3_600_000 }]);
  });

  it('does nothing for rules without a policy entry, including inherited object keys', () => {
    expect(plannedContainment(alert('brute-force.account', 'user-1'), DEFAULT_AUTO_CONTAINMENT, noneProtected)).toEqual([]);
    expect(plannedContainment(alert('constructor', 'user-1'), DEFAULT_AUTO_CONTAINMENT, noneProtected)).toEqual([]);
  });

  it('never blocks a protected address (loopback, trusted proxy) automatically', () => {
    const planned = plannedContainment(alert('credential-stuffing', '127.0.0.1'), DEFAULT_AUTO_CONTAINMENT, (ip) => ip === '127.0.0.1');
    expect(planned).toEqual([{ kind: 'skip', action: 'block-ip', target: '127.0.0.1', reason: expect.stringContaining('protected') }]);
  });

  it('skips targets of the wrong kind instead of acting on them', () => {
    expect(plannedContainment(alert('credential-stuffing', 'user-1'), DEFAULT_AUTO_CONTAINMENT, noneProtected)[0]).toMatchObject({ kind: 'skip' });
    expect(plannedContainment(alert('token-reuse', 'anonymous'), DEFAULT_AUTO_CONTAINMENT, noneProtected)[0]).toMatchObject({ kind: 'skip' });
    expect(plannedContainment(alert('token-reuse', '203.0.113.9'), DEFAULT_AUTO_CONTAINMENT, noneProtected)[0]).toMatchObject({ kind: 'skip' });
    const killer = { 'token-reuse': [{ action: 'kill-switch' as const }] };
    expect(plannedContainment(alert('token-reuse', 'user-1'), killer, noneProtected)[0]).toMatchObject({ kind: 'skip', reason: 'not an automatic action' });
  });
});
