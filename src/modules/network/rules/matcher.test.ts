import { describe, expect, it } from 'vitest';
import { createRuleMatcher } from './matcher.js';
import type { NetworkRule } from './types.js';

let n = 0;
function rule(subject: string, action: 'allow' | 'deny', extra: Partial<NetworkRule> = {}): NetworkRule {
  n++;
  return { id: `r${n}`, kind: 'ip', subject, action, source: 'admin', reason: 'test', createdBy: 'admin', createdAt: 0, expiresAt: null, ...extra };
}

describe('rule matcher (longest prefix wins)', () => {
  it('matches nothing without rules', () => {
    expect(createRuleMatcher([]).matchIp('192.0.2.1', 0)).toBeNull();
  });

  it('lets a more specific allow punch a hole in a denied range, and a more specific deny win inside an allowed one', () => {
    const m = createRuleMatcher([rule('10.0.0.0/8', 'deny'), rule('10.1.2.3/32', 'allow'), rule('198.51.100.0/24', 'allow'), rule('198.51.100.66/32', 'deny')]);
    expect(m.matchIp('10.9.9.9', 0)?.action).toBe('deny');
    expect(m.matchIp('10.1.2.3', 0)?.action).toBe('allow');
    expect(m.matchIp('198.51.100.5', 0)?.action).toBe('allow');
    expect(m.matchIp('198.51.100.66', 0)?.action).toBe('deny');
    expect(m.matchIp('203.0.113.1', 0)).toBeNull();
  });

  it('lets deny win over allow on the same block', () => {
    const m = createRuleMatcher([rule('192.0.2.0/24', 'allow'), rule('192.0.2.0/24', 'deny')]);
    expect(m.matchIp('192.0.2.10', 0)?.action).toBe('deny');
  });

  it('ignores expired rules and falls back to the next shorter prefix', () => {
    const m = createRuleMatcher([rule('192.0.2.0/24', 'allow'), rule('192.0.2.9/32', 'deny', { expiresAt: 1_000 })]);
    expect(m.matchIp('192.0.2.9', 999)?.action).toBe('deny');
    expect(m.matchIp('192.0.2.9', 1_000)?.action).toBe('allow');
  });

  it('matches IPv6 blocks and IPv4-mapped clients against IPv4 rules', () => {
    const m = createRuleMatcher([rule('2001:db8::/32', 'deny'), rule('203.0.113.0/24', 'deny')]);
    expect(m.matchIp('2001:db8:ffff::1', 0)?.action).toBe('deny');
    expect(m.matchIp('2001:db9::1', 0)).toBeNull();
    expect(m.matchIp('::ffff:203.0.113.4', 0)?.action).toBe('deny');
  });

  it('finds account and API-key bans by exact subject, live ones only', () => {
    const m = createRuleMatcher([
      rule('u1', 'deny', { kind: 'user', expiresAt: 500 }),
      rule('k1', 'deny', { kind: 'apikey' }),
    ]);
    expect(m.subjectBan('user:u1', 100)?.subject).toBe('u1');
    expect(m.subjectBan('user:u1', 500)).toBeNull();
    expect(m.subjectBan('apikey:k1', 0)?.kind).toBe('apikey');
    expect(m.subjectBan('user:k1', 0)).toBeNull();
    expect(m.matchIp('192.0.2.1', 0)).toBeNull();
  });
});
