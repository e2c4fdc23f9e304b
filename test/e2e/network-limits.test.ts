/**
 * Rate limiting through the real platform (SPEC §2 headers): route classes as declared policy,
 * per-address, per-account and per-API-key buckets, recidive bans, body caps per class and the
 * trading allowlists. The clock is a manual one; clients are told apart by X-Forwarded-For
 * from a trusted loopback proxy.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock/index.js';
import type { Principal } from '../../src/lib/auth/index.js';
import type { SecurityEvent } from '../../src/lib/events/index.js';
import { DEFAULT_NETWORK_CONFIG, banDurationMs } from '../../src/modules/network/index.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const clock = createManualClock(Date.UTC(2026, 5, 1));
const classes = DEFAULT_NETWORK_CONFIG.classes;
const events: SecurityEvent[] = [];
let platform: TestPlatform;

const ok = { response: { 200: { type: 'object', additionalProperties: false, properties: { ok: { type: 'boolean' } } } } };
function routes(app: FastifyInstance): void {
  app.get('/v1/test/read', { config: { rateLimit: 'read' }, schema: ok }, async () => ({ ok: true }));
  app.get('/v1/test/plain', { schema: ok }, async () => ({ ok: true }));
  app.post('/v1/test/login', { config: { rateLimit: 'auth' }, schema: ok }, async () => ({ ok: true }));
  app.post('/v1/test/order', { config: { rateLimit: 'trading' }, schema: ok }, async () => ({ ok: true }));
  app.get('/v1/admin/test/thing', { schema: ok }, async () => ({ ok: true }));
}

/** `x-test-user: <id>` (and `x-test-key: <id>` for an API key) authenticates, as the identity module would. */
async function authenticate(request: FastifyRequest): Promise<Principal | null> {
  const user = request.headers['x-test-user'];
  if (typeof user !== 'string') return null;
  const key = request.headers['x-test-key'];
  return {
    kind: typeof key === 'string' ? 'apikey' : 'user', userId: user, roles: ['trader'], amr: ['pwd', 'otp'], authTime: clock.now(),
    ...(typeof key === 'string' ? { apiKeyId: key, scopes: ['trade'] as const } : {}),
  };
}

beforeAll(async () => {
  platform = await startTestPlatform({ Q2_TRUST_PROXY: '127.0.0.1/32' }, { clock, routes: [routes], authenticate, insecureHttp: true });
  platform.events.subscribe('test', (e) => { events.push(e); });
});
afterAll(async () => platform.stop());

const hit = (url: string, ip: string, headers: Record<string, string> = {}, method: 'GET' | 'POST' = 'GET', payload?: string) =>
  platform.app.inject({ method, url, headers: { 'x-forwarded-for': ip, ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(payload === undefined ? {} : { payload }) });

async function exhaust(url: string, ip: string, headers: Record<string, string> = {}, method: 'GET' | 'POST' = 'GET') {
  const statuses: number[] = [];
  for (;;) {
    const res = await hit(url, ip, headers, method, method === 'POST' ? '{}' : undefined);
    statuses.push(res.statusCode);
    if (res.statusCode !== 200) return { statuses, last: res };
    if (statuses.length > 10_000) throw new Error('never limited');
  }
}

describe('SPEC §2 rate-limit headers', () => {
  it('are on every success of a limited route, counting down', async () => {
    const a = await hit('/v1/test/read', '192.0.2.1');
    const b = await hit('/v1/test/read', '192.0.2.1');
    expect(a.statusCode).toBe(200);
    expect(a.headers['ratelimit-limit']).toBe(String(classes.read.perIp!.limit));
    expect(Number(a.headers['ratelimit-remaining'])).toBe(classes.read.perIp!.limit - 1);
    expect(Number(b.headers['ratelimit-remaining'])).toBe(classes.read.perIp!.limit - 2);
    expect(Number(b.headers['ratelimit-reset'])).toBeGreaterThan(0);
  });

  it('and with Retry-After on the 429 problem once the budget is spent', async () => {
    const { statuses, last } = await exhaust('/v1/test/login', '192.0.2.2', {}, 'POST');
    expect(statuses.filter((s) => s === 200)).toHaveLength(classes.auth.perIp!.limit);
    expect(last.statusCode).toBe(429);
    expect(last.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(last.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(last.headers['retry-after']).toBe(String(Math.ceil(classes.auth.perIp!.windowMs / classes.auth.perIp!.limit / 1000)));
    expect(last.headers['ratelimit-limit']).toBe(String(classes.auth.perIp!.limit));
    expect(last.headers['ratelimit-remaining']).toBe('0');
  });
});

describe('route classes are one declared policy per route', () => {
  it('gives each class its own budget, and undeclared routes the default (admin paths: admin, probes: health)', async () => {
    const limitOf = async (url: string) => (await hit(url, '192.0.2.3')).headers['ratelimit-limit'];
    expect(await limitOf('/v1/test/read')).toBe(String(classes.read.perIp!.limit));
    expect(await limitOf('/v1/test/plain')).toBe(String(classes.default.perIp!.limit));
    expect(await limitOf('/v1/admin/test/thing')).toBe(String(classes.admin.perIp!.limit));
    expect(await limitOf('/healthz')).toBe(String(classes.health.perIp!.limit));
    expect(await limitOf('/v1/no/such/route')).toBe(String(classes.default.perIp!.limit));
  });

  it('keeps one class from spending another class budget', async () => {
    await exhaust('/v1/test/login', '192.0.2.4', {}, 'POST');
    expect((await hit('/v1/test/read', '192.0.2.4')).statusCode).toBe(200);
  });

  it('caps request bodies by class before parsing them', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(classes.auth.bodyLimitBytes!) });
    const res = await hit('/v1/test/login', '192.0.2.5', {}, 'POST', body);
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('per-account and per-API-key limits', () => {
  it('share one account budget across addresses', async () => {
    const limit = classes.trading.perAccount!.limit;
    let allowed = 0;
    for (let i = 0; i < limit + 5; i++) {
      const res = await hit('/v1/test/order', `198.51.100.${i % 200}`, { 'x-test-user': 'acct-1' }, 'POST', '{}');
      if (res.statusCode === 200) allowed++;
      else expect(res.json().code).toBe('RATE_LIMITED');
    }
    expect(allowed).toBe(limit);
  });

  it('report the tighter of the address and account budgets', async () => {
    const res = await hit('/v1/test/plain', '192.0.2.6', { 'x-test-user': 'acct-2' });
    expect(res.headers['ratelimit-limit']).toBe(String(classes.default.perIp!.limit));
    expect(Number(res.headers['ratelimit-remaining'])).toBe(classes.default.perIp!.limit - 1);
  });

  it('give each API key its own budget inside its account', async () => {
    const keyLimit = classes.read.perApiKey!.limit;
    expect(keyLimit).toBeLessThan(classes.read.perAccount!.limit);
    const { statuses, last } = await exhaust('/v1/test/read', '203.0.113.1', { 'x-test-user': 'acct-3', 'x-test-key': 'key-a' });
    expect(statuses.filter((s) => s === 200)).toHaveLength(keyLimit);
    expect(last.json().code).toBe('RATE_LIMITED');
    expect((await hit('/v1/test/read', '203.0.113.2', { 'x-test-user': 'acct-3', 'x-test-key': 'key-a' })).statusCode).toBe(429);
    expect((await hit('/v1/test/read', '203.0.113.2', { 'x-test-user': 'acct-3', 'x-test-key': 'key-b' })).statusCode).toBe(200);
    expect((await hit('/v1/test/read', '203.0.113.2', { 'x-test-user': 'acct-3' })).statusCode).toBe(200);
  });
});

describe('recidive bans', () => {
  /**
   * Sends requests as a persistent offender: after each refusal it waits exactly the
   * Retry-After it was given (so the next refusal is again a decision of the shared bucket,
   * an offence) until something other than 200/429 comes back.
   */
  async function offend(next: () => Promise<Awaited<ReturnType<typeof hit>>>) {
    let refusals = 0;
    for (let i = 0; i < 100_000; i++) {
      const res = await next();
      if (res.statusCode === 200) continue;
      if (res.statusCode !== 429 || res.json().code !== 'RATE_LIMITED') return { refusals, res };
      refusals++;
      clock.advance(Number(res.headers['retry-after']) * 1000);
    }
    throw new Error('never banned');
  }

  it('ban an address on its maxOffences-th refusal, for the first ban duration, on every route', async () => {
    const { recidive } = DEFAULT_NETWORK_CONFIG;
    const ip = '192.0.2.66';
    const { refusals, res } = await offend(() => hit('/v1/test/login', ip, {}, 'POST', '{}'));
    expect(refusals).toBe(recidive.maxOffences - 1);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('IP_BLOCKED');
    expect(res.headers['retry-after']).toBe(String(banDurationMs(1, recidive) / 1000));
    expect((await hit('/v1/test/read', ip)).json().code).toBe('IP_BLOCKED');
    expect((await hit('/v1/test/read', '192.0.2.67')).statusCode).toBe(200);
    await platform.events.drain();
    expect(events).toContainEqual(expect.objectContaining({ type: 'network.ban_issued', target: `${ip}/32`, details: expect.objectContaining({ level: 1, durationMs: banDurationMs(1, recidive) }) }));
    clock.advance(banDurationMs(1, recidive));
    expect((await hit('/v1/test/read', ip)).statusCode).toBe(200);
  });

  it('ban an account with CLIENT_BANNED, whatever address it comes from', async () => {
    const { recidive } = DEFAULT_NETWORK_CONFIG;
    const user = { 'x-test-user': 'acct-recidive' };
    let i = 0;
    const { refusals, res } = await offend(() => hit('/v1/test/order', `198.18.${Math.floor(i / 250) % 250}.${i++ % 250}`, user, 'POST', '{}'));
    expect(refusals).toBe(recidive.maxOffences - 1);
    expect(res.statusCode).toBe(429);
    expect(res.json().code).toBe('CLIENT_BANNED');
    expect(Number(res.headers['retry-after'])).toBe(banDurationMs(1, recidive) / 1000);
    expect((await hit('/v1/test/read', '100.64.0.1', user)).json().code).toBe('CLIENT_BANNED');
    expect((await hit('/v1/test/read', '100.64.0.1', { 'x-test-user': 'someone-else' })).statusCode).toBe(200);
  });
});

describe('trading allowlists', () => {
  it('restrict trading to the account allowlist once set (step-up MFA), leaving reads alone', async () => {
    const user = { 'x-test-user': 'acct-allow' };
    const set = await platform.app.inject({ method: 'PUT', url: '/v1/me/ip-allowlist', headers: { ...user, 'x-forwarded-for': '198.51.100.10', 'content-type': 'application/json' }, payload: { cidrs: ['198.51.100.0/24'] } });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toEqual({ cidrs: ['198.51.100.0/24'] });
    expect((await hit('/v1/test/order', '198.51.100.77', user, 'POST', '{}')).statusCode).toBe(200);
    const outside = await hit('/v1/test/order', '203.0.113.77', user, 'POST', '{}');
    expect(outside.statusCode).toBe(403);
    expect(outside.json().code).toBe('IP_BLOCKED');
    expect((await hit('/v1/test/read', '203.0.113.77', user)).statusCode).toBe(200);
  });

  it('refuses a malformed entry with the offending path, and an API key changing the list', async () => {
    const bad = await platform.app.inject({ method: 'PUT', url: '/v1/me/ip-allowlist', headers: { 'x-test-user': 'acct-x', 'content-type': 'application/json' }, payload: { cidrs: ['10.0.0.1/8'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/^body\/cidrs: /);
    const byKey = await platform.app.inject({ method: 'PUT', url: '/v1/me/ip-allowlist', headers: { 'x-test-user': 'acct-x', 'x-test-key': 'k', 'content-type': 'application/json' }, payload: { cidrs: [] } });
    expect(byKey.statusCode).toBe(403);
  });

  it('answers APIKEY_IP_FORBIDDEN for an API key outside its own list', async () => {
    const network = platform.capabilities.find((c) => c.name === 'network') as unknown as { protection: { allowlists: { replace(s: unknown, c: string[], x: unknown): Promise<unknown> } } };
    await network.protection.allowlists.replace({ kind: 'apikey', id: 'key-locked' }, ['192.0.2.200'], { actor: 'acct-k' });
    const headers = { 'x-test-user': 'acct-k', 'x-test-key': 'key-locked' };
    expect((await hit('/v1/test/order', '192.0.2.200', headers, 'POST', '{}')).statusCode).toBe(200);
    const res = await hit('/v1/test/order', '192.0.2.201', headers, 'POST', '{}');
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('APIKEY_IP_FORBIDDEN');
  });
});
