/**
 * Global IP allow/deny rules (SPEC §7 `/v1/admin/ip-rules`): permissions, step-up, validation,
 * audit events, longest-prefix semantics, expiry, and "blocked before any expensive work".
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal, Role } from '../../src/lib/auth/index.js';
import { createManualClock } from '../../src/lib/clock/index.js';
import type { SecurityEvent } from '../../src/lib/events/index.js';
import { DEFAULT_NETWORK_CONFIG, type NetworkCapability } from '../../src/modules/network/index.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const clock = createManualClock(Date.UTC(2026, 7, 1));
const events: SecurityEvent[] = [];
let platform: TestPlatform;
let expensiveCalls = 0;
const authenticatedFrom: string[] = [];

function routes(app: FastifyInstance): void {
  app.post('/v1/test/expensive', {
    preHandler: async () => { expensiveCalls++; },
    schema: { body: { type: 'object', additionalProperties: false, properties: { a: { type: 'string', maxLength: 5 } } } },
  }, async () => ({ ok: true }));
}

/** `x-test-role: admin|trader` authenticates; `x-test-stale: 1` makes the MFA 10 minutes old. */
async function authenticate(request: FastifyRequest): Promise<Principal | null> {
  authenticatedFrom.push(request.ip);
  const role = request.headers['x-test-role'];
  if (typeof role !== 'string') return null;
  const stale = request.headers['x-test-stale'] === '1';
  return { kind: 'user', userId: `${role}-1`, roles: [role as Role], amr: ['pwd', 'otp'], authTime: clock.now() - (stale ? 600_000 : 0) };
}

beforeAll(async () => {
  platform = await startTestPlatform({ Q2_TRUST_PROXY: '127.0.0.1/32' }, { clock, routes: [routes], authenticate, insecureHttp: true });
  platform.events.subscribe('test', (e) => { events.push(e); });
});
afterAll(async () => platform.stop());

const ADMIN = { 'x-test-role': 'admin', 'x-forwarded-for': '198.51.100.1' };
const admin = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = ADMIN) =>
  platform.app.inject({ method, url, headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
const from = (ip: string) => platform.app.inject({ method: 'POST', url: '/v1/test/expensive', headers: { 'x-forwarded-for': ip, 'content-type': 'application/json' }, payload: { a: 'x' } });

describe('admin routes guard themselves', () => {
  it('need authentication, the named permission, and a recent MFA to write', async () => {
    expect((await admin('GET', '/v1/admin/ip-rules', undefined, {})).json().code).toBe('UNAUTHENTICATED');
    expect((await admin('GET', '/v1/admin/ip-rules', undefined, { 'x-test-role': 'trader' })).json().code).toBe('FORBIDDEN');
    expect((await admin('GET', '/v1/admin/ip-rules', undefined, { 'x-test-role': 'compliance' })).json().code).toBe('FORBIDDEN');
    expect((await admin('GET', '/v1/admin/ip-rules', undefined, { 'x-test-role': 'security' })).statusCode).toBe(200);
    const stale = await admin('POST', '/v1/admin/ip-rules', { cidr: '203.0.113.0/24', action: 'deny', reason: 'x' }, { ...ADMIN, 'x-test-stale': '1' });
    expect(stale.json().code).toBe('AUTH_STEP_UP_REQUIRED');
  });

  it.each([
    ['host bits set', { cidr: '203.0.113.7/24', action: 'deny', reason: 'x' }, 'body/cidr'],
    ['not an address', { cidr: 'evil.example', action: 'deny', reason: 'x' }, 'body/cidr'],
    ['an unknown field', { cidr: '203.0.113.0/24', action: 'deny', reason: 'x', scope: 'all' }, 'body/scope'],
    ['an unknown action', { cidr: '203.0.113.0/24', action: 'tarpit', reason: 'x' }, 'body/action'],
    ['a too-short TTL', { cidr: '203.0.113.0/24', action: 'deny', reason: 'x', ttlSeconds: 1 }, 'body/ttlSeconds'],
  ])('refuse %s with VALIDATION_FAILED naming it', async (_name, body, path) => {
    const res = await admin('POST', '/v1/admin/ip-rules', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(res.json().detail).toContain(path);
  });

  it('refuse a deny rule that would lock the administrator out', async () => {
    const res = await admin('POST', '/v1/admin/ip-rules', { cidr: '198.51.100.0/24', action: 'deny', reason: 'oops' });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('IP_RULE_SELF_BLOCK');
  });
});

describe('a deny rule', () => {
  let ruleId: string;

  it('is created, audited, and blocks the range at once with 403 IP_BLOCKED', async () => {
    expect((await from('203.0.113.9')).statusCode).toBe(200);
    const created = await admin('POST', '/v1/admin/ip-rules', { cidr: '203.0.113.0/24', action: 'deny', reason: 'credential stuffing' });
    expect(created.statusCode, created.body).toBe(201);
    ruleId = created.json().id;
    expect(created.json()).toMatchObject({ cidr: '203.0.113.0/24', action: 'deny', source: 'admin', reason: 'credential stuffing', createdBy: 'admin-1', expiresAt: null });
    const blocked = await from('203.0.113.9');
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json()).toMatchObject({ code: 'IP_BLOCKED' });
    expect(blocked.headers['connection']).toBe('close');
    await platform.events.drain();
    expect(events).toContainEqual(expect.objectContaining({ type: 'network.ip_rule_created', actor: 'admin-1', target: '203.0.113.0/24', outcome: 'success', ip: '198.51.100.1' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'network.ip_blocked', target: '203.0.113.0/24' }));
  });

  it('answers before any expensive work: no authentication, no body parsing, no handler', async () => {
    const calls = expensiveCalls;
    authenticatedFrom.length = 0;
    const res = await platform.app.inject({
      method: 'POST', url: '/v1/test/expensive',
      headers: { 'x-forwarded-for': '203.0.113.10', 'content-type': 'application/json', 'x-test-role': 'admin' },
      payload: `{"a": ${'['.repeat(5000)}`,
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('IP_BLOCKED');
    expect(expensiveCalls).toBe(calls);
    expect(authenticatedFrom).toEqual([]);
  });

  it('yields to a more specific allow rule, which also exempts that address from per-address limits', async () => {
    clock.advance(1_000); // a later creation time than the deny rule, so "newest first" is defined
    expect((await admin('POST', '/v1/admin/ip-rules', { cidr: '203.0.113.50', action: 'allow', reason: 'partner' })).statusCode).toBe(201);
    const limit = DEFAULT_NETWORK_CONFIG.classes.default.perIp!.limit;
    let ok = 0;
    for (let i = 0; i < limit + 10; i++) if ((await from('203.0.113.50')).statusCode === 200) ok++;
    expect(ok).toBe(limit + 10);
    expect((await from('203.0.113.51')).statusCode).toBe(403);
  });

  it('is listed (newest first, with a total) and deleted with an audit event, unblocking the range', async () => {
    const list = await admin('GET', '/v1/admin/ip-rules?action=deny');
    expect(list.statusCode).toBe(200);
    expect(list.json().total).toBe(1);
    expect(list.json().rules).toEqual([expect.objectContaining({ id: ruleId, cidr: '203.0.113.0/24' })]);
    expect((await admin('GET', '/v1/admin/ip-rules?limit=1')).json()).toMatchObject({ total: 2, rules: [{ cidr: '203.0.113.50/32' }] });
    expect((await admin('GET', '/v1/admin/ip-rules?limit=9999')).statusCode).toBe(400);
    expect((await admin('DELETE', `/v1/admin/ip-rules/${ruleId}`)).statusCode).toBe(204);
    expect((await from('203.0.113.9')).statusCode).toBe(200);
    expect((await admin('DELETE', `/v1/admin/ip-rules/${ruleId}`)).json().code).toBe('NOT_FOUND');
    expect((await admin('DELETE', '/v1/admin/ip-rules/not-a-uuid')).statusCode).toBe(400);
    await platform.events.drain();
    expect(events).toContainEqual(expect.objectContaining({ type: 'network.ip_rule_deleted', actor: 'admin-1', target: '203.0.113.0/24' }));
  });
});

describe('containment API (incident response)', () => {
  it('blocks a CIDR for a while, then lets it expire', async () => {
    const network = platform.capabilities.find((c) => c.name === 'network') as NetworkCapability;
    const rule = await network.protection.blockIp('2001:db8:bad::/48', { reason: 'incident 42', ttlMs: 60_000, actor: 'incident:42' });
    expect(rule).toMatchObject({ subject: '2001:db8:bad::/48', source: 'containment', action: 'deny' });
    expect((await from('2001:db8:bad:1::7')).json().code).toBe('IP_BLOCKED');
    expect((await from('2001:db8:bad:1::7')).headers['retry-after']).toBe('60');
    await expect(network.protection.blockIp('10.0.0.1/8', { reason: 'typo' })).rejects.toThrow(TypeError);
    clock.advance(60_000);
    expect((await from('2001:db8:bad:1::7')).statusCode).toBe(200);
    const rules = (await admin('GET', '/v1/admin/ip-rules')).json().rules as { cidr: string }[];
    expect(rules.map((r) => r.cidr)).not.toContain('2001:db8:bad::/48');
  });
});
