import { describe, expect, it } from 'vitest';

import { AppError } from '../../lib/errors/index.js';
import { DEFAULT_BLOCK_TTL_MS, parseTarget, runContainment, type ContainmentPorts } from './containment.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof AppError ? error.code : 'other';
  }
  return null;
};

describe('containment targets', () => {
  it('parses each action\'s target form', () => {
    expect(parseTarget('lock-account', 'user-1', undefined)).toEqual({ action: 'lock-account', userId: 'user-1' });
    expect(parseTarget('block-ip', '203.0.113.9', undefined)).toEqual({ action: 'block-ip', cidr: '203.0.113.9/32', ttlMs: DEFAULT_BLOCK_TTL_MS });
    expect(parseTarget('block-ip', '2001:db8::/48', 60_000)).toEqual({ action: 'block-ip', cidr: '2001:db8::/48', ttlMs: 60_000 });
    expect(parseTarget('kill-switch', 'global', undefined)).toEqual({ action: 'kill-switch', scope: 'global' });
    expect(parseTarget('kill-switch', 'user:abc-1', undefined)).toEqual({ action: 'kill-switch', scope: 'user', target: 'abc-1' });
    expect(parseTarget('kill-switch', 'symbol:BTC-USD', undefined)).toEqual({ action: 'kill-switch', scope: 'symbol', target: 'BTC-USD' });
  });

  it.each([
    ['revoke-sessions', 'a b'], ['revoke-api-keys', ''], ['block-ip', '10.1.2.3/8'], ['block-ip', 'localhost'],
    ['kill-switch', 'user:'], ['kill-switch', 'symbol:BTC'], ['kill-switch', 'all'],
  ] as const)('refuses %s on %j with VALIDATION_FAILED', (action, target) => {
    expect(code(() => parseTarget(action, target, undefined))).toBe('VALIDATION_FAILED');
  });

  it('refuses a duration on anything but block-ip', () => {
    expect(code(() => parseTarget('lock-account', 'u', 60_000))).toBe('VALIDATION_FAILED');
  });
});

describe('running an action', () => {
  const calls: string[] = [];
  const ports: ContainmentPorts = {
    userExists: async (id) => id === 'known',
    lockAccount: async (id) => { calls.push(`lock ${id}`); },
    revokeSessions: async (id) => { calls.push(`sessions ${id}`); return 2; },
    revokeApiKeys: async (id) => { calls.push(`keys ${id}`); return 1; },
    blockIp: async (cidr, o) => { calls.push(`block ${cidr} ${o.ttlMs}`); return { ruleId: 'r1', expiresAt: 5 }; },
    killSwitch: async (scope, target) => { calls.push(`kill ${scope} ${target ?? ''}`); return { cancelledOrders: 3 }; },
  };
  const admin = { actor: 'admin-1', ip: '198.51.100.7', requestId: 'req' };

  it('refuses an unknown user and a block covering the responder, doing nothing', async () => {
    calls.length = 0;
    await expect(runContainment(ports, { action: 'lock-account', userId: 'ghost' }, 'inc', admin)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(runContainment(ports, { action: 'block-ip', cidr: '198.51.100.0/24', ttlMs: 1 }, 'inc', admin)).rejects.toMatchObject({ code: 'IP_RULE_SELF_BLOCK' });
    expect(calls).toEqual([]);
  });

  it('calls the owning port and returns what it did', async () => {
    calls.length = 0;
    expect(await runContainment(ports, { action: 'revoke-sessions', userId: 'known' }, 'inc', admin)).toEqual({ sessionsRevoked: 2 });
    expect(await runContainment(ports, { action: 'revoke-api-keys', userId: 'known' }, 'inc', admin)).toEqual({ apiKeysRevoked: 1 });
    expect(await runContainment(ports, { action: 'block-ip', cidr: '203.0.113.0/24', ttlMs: 9 }, 'inc', admin)).toEqual({ ruleId: 'r1', cidr: '203.0.113.0/24', expiresAt: 5 });
    expect(await runContainment(ports, { action: 'kill-switch', scope: 'symbol', target: 'BTC-USD' }, 'inc', admin)).toEqual({ scope: 'symbol', cancelledOrders: 3 });
    expect(calls).toEqual(['sessions known', 'keys known', 'block 203.0.113.0/24 9', 'kill symbol BTC-USD']);
  });
});
