/**
 * Shared setup of the trading e2e and attack suites: a real platform (SQLite, or PostgreSQL
 * with Redis), users created through the identity capability, and an injected authenticator
 * so a request can act as any of them (`x-test-user`), as an API key (`x-test-scopes`), or
 * with a stale second factor (`x-test-stale`). Admin principals carry a fresh MFA.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { expect } from 'vitest';

/** Parsed JSON bodies, loosely typed as in every HTTP test (`res.json()`). */
type Body = ReturnType<typeof JSON.parse>;
import type { ApiKeyScope, Principal, Role } from '../../src/lib/auth/index.js';
import { createManualClock } from '../../src/lib/clock/index.js';
import type { Identity } from '../../src/modules/identity/capability.js';
import type { TradingCapability } from '../../src/modules/trading/index.js';
import { depth } from '../../src/modules/trading/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/lib/config/index.js';
import { createLogger } from '../../src/lib/log/index.js';
import { createPlatform, type Platform } from '../../src/server/platform.js';
import { createThrowawayPostgres, testDatabaseUrl, testRedisUrl } from '../support/backends.js';

export type ManualClock = ReturnType<typeof createManualClock>;

export interface TradingHarness {
  platform: Platform & { stop(): Promise<void> };
  /** Closes this platform (as a crash-free shutdown) and opens a new one on the same data. */
  restart(): Promise<TradingHarness>;
  clock: ManualClock;
  adminId: string;
  trading: TradingCapability['trading'];
  user(roles?: Role[]): Promise<string>;
  request(method: string, url: string, as: string | null, payload?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Body; headers: Record<string, unknown> }>;
  order(userId: string, body: Record<string, unknown>): Promise<{ status: number; body: Body }>;
  deposit(userId: string, asset: string, amount: string): Promise<void>;
  reference(symbol: string, price: string): Promise<void>;
  /** Everything a rejected order must leave untouched, for the given accounts and symbol. */
  snapshot(userIds: string[], symbol: string): Promise<unknown>;
}

function authenticator(clock: ManualClock, roles: Map<string, Role[]>) {
  return async (request: FastifyRequest): Promise<Principal | null> => {
    const userId = request.headers['x-test-user'];
    if (typeof userId !== 'string') return null;
    const scopes = request.headers['x-test-scopes'];
    const stale = request.headers['x-test-stale'] === '1';
    if (typeof scopes === 'string') {
      return { kind: 'apikey', userId, roles: ['trader'], apiKeyId: `key-${userId}`, scopes: scopes.split(',').filter(Boolean) as ApiKeyScope[], amr: [], authTime: 0 };
    }
    return { kind: 'user', userId, roles: roles.get(userId) ?? ['trader'], sessionId: 's', amr: ['pwd', 'otp', 'mfa'], authTime: stale ? clock.now() - 10 * 60_000 : clock.now() };
  };
}

/**
 * The embedded default (SQLite, in-process state), or a throwaway PostgreSQL database with Redis
 * as replicas run it. `stop()` closes the platform and drops that database.
 */
export async function startTradingHarnessOn(backend: 'sqlite' | 'postgres'): Promise<{ h: TradingHarness; stop(): Promise<void> }> {
  if (backend === 'sqlite') {
    const h = await startTradingHarness();
    return { h, stop: () => h.platform.stop() };
  }
  const adminUrl = await testDatabaseUrl();
  const redisUrl = await testRedisUrl();
  if (!adminUrl || !redisUrl) throw new Error('the PostgreSQL run needs Q2_TEST_DATABASE_URL and Q2_TEST_REDIS_URL');
  const database = await createThrowawayPostgres(adminUrl);
  const h = await startTradingHarness({ Q2_DATABASE_URL: database.url, Q2_REDIS_URL: redisUrl });
  return {
    h,
    stop: async () => {
      await h.platform.stop();
      await database.drop();
    },
  };
}

export async function startTradingHarness(env: Record<string, string> = {}, clock = createManualClock(Date.UTC(2026, 5, 1, 12)), reuse?: { dataDir: string; roles: Map<string, Role[]>; adminId: string }): Promise<TradingHarness> {
  const roles = reuse?.roles ?? new Map<string, Role[]>();
  const dataDir = reuse?.dataDir ?? await mkdtemp(path.join(tmpdir(), 'q2-trading-'));
  const config = loadConfig({ Q2_DATA_DIR: dataDir, Q2_PORT: '8443', ...env }, dataDir);
  const opened = await createPlatform(config, {
    logger: createLogger(process.env.Q2_TEST_LOG_LEVEL ?? 'silent'), collectProcessMetrics: false, clock, authenticate: authenticator(clock, roles), insecureHttp: true,
  });
  const platform = Object.assign(opened, { stop: async () => { await opened.close(); await rm(dataDir, { recursive: true, force: true }); } });
  const identity = (platform.capabilities.find((c) => c.name === 'identity') as unknown as { identity: Identity }).identity;
  const trading = (platform.capabilities.find((c) => c.name === 'trading') as TradingCapability).trading;

  const user = async (userRoles: Role[] = ['trader']) => {
    const created = await identity.users.create({ email: `t-${randomBytes(6).toString('hex')}@example.test`, passwordHash: 'not-a-login-account', roles: userRoles });
    if (!created) throw new Error('user creation failed');
    roles.set(created.id, userRoles);
    return created.id;
  };
  const adminId = reuse?.adminId ?? await user(['admin']);

  const request: TradingHarness['request'] = async (method, url, as, payload, headers = {}) => {
    const res = await platform.app.inject({
      method: method as 'GET', url,
      headers: { ...(as ? { 'x-test-user': as } : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
    return { status: res.statusCode, body: res.body ? res.json() : null, headers: res.headers };
  };

  const harness: TradingHarness = {
    platform, clock, adminId, trading, user, request,
    async restart() {
      await opened.close();
      return startTradingHarness(env, clock, { dataDir, roles, adminId });
    },
    order: (userId, body) => request('POST', '/v1/orders', userId, { timeInForce: 'GTC', type: 'limit', clientOrderId: randomBytes(8).toString('hex'), ...body }),
    async deposit(userId, asset, amount) {
      const res = await request('POST', `/v1/admin/accounts/${userId}/deposits`, adminId, { depositId: randomBytes(8).toString('hex'), asset, amount, reason: 'test funding' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    },
    async reference(symbol, price) {
      const res = await request('PUT', `/v1/admin/reference-prices/${symbol}`, adminId, { price });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    },
    async snapshot(userIds, symbol) {
      const db = platform.db.kysely;
      const balances = await db.selectFrom('trading_balances').selectAll().where('user_id', 'in', userIds).orderBy('user_id').orderBy('asset').execute();
      const orders = await db.selectFrom('trading_orders').selectAll().where('user_id', 'in', userIds).orderBy('id').execute();
      const positions = await db.selectFrom('trading_positions').selectAll().where('user_id', 'in', userIds).orderBy('user_id').execute();
      const ledger = await db.selectFrom('trading_ledger').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
      const worker = await trading.host.ownedWorker(symbol);
      const book = worker ? { bids: depth(worker.book(), 'buy'), asks: depth(worker.book(), 'sell'), exposure: [...worker.book().exposure] } : null;
      return { balances: balances.map(({ updated_at: _u, ...rest }) => rest), orders, positions, ledger, book };
    },
  };
  return harness;
}
