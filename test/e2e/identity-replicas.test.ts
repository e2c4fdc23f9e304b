/**
 * Two replicas sharing PostgreSQL and Redis (SPEC §1 distributed engine): revocation and
 * refresh-token reuse detection hold across them within one request. Each replica is a full
 * platform with its own connections and in-process caches, as two `q2 serve` processes have.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayPostgres, testDatabaseUrl, testRedisUrl, type ThrowawayDatabase } from '../support/backends.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { bearer, post, registerAndLogin, STRONG_PASSWORD, type Tokens } from '../support/identity.js';

let database: ThrowawayDatabase;
let a: TestPlatform;
let b: TestPlatform;

beforeAll(async () => {
  const adminUrl = await testDatabaseUrl();
  const redisUrl = await testRedisUrl();
  if (!adminUrl || !redisUrl) throw new Error('replica test needs PostgreSQL and Redis (set Q2_TEST_DATABASE_URL and Q2_TEST_REDIS_URL)');
  database = await createThrowawayPostgres(adminUrl);
  // One master key file for both, as replicas of one deployment share their KEK.
  a = await startTestPlatform({ Q2_DATABASE_URL: database.url, Q2_REDIS_URL: redisUrl });
  b = await startTestPlatform({
    Q2_DATABASE_URL: database.url, Q2_REDIS_URL: redisUrl,
    Q2_MASTER_KEY_FILE: `${a.dataDir}/master.key`, Q2_TLS_CERT: `${a.dataDir}/tls/cert.pem`, Q2_TLS_KEY: `${a.dataDir}/tls/key.pem`,
  });
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await database?.drop();
});

const me = (p: TestPlatform, token: string) => p.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(token) });

describe('two replicas sharing PostgreSQL and Redis', () => {
  it('accepts a token issued by one replica on the other (shared signing keys)', async () => {
    const { tokens } = await registerAndLogin(a.app);
    expect((await me(b, tokens.accessToken)).statusCode).toBe(200);
  });

  it('refuses on replica B, at the next request, a session logged out on replica A', async () => {
    const { tokens } = await registerAndLogin(a.app);
    expect((await me(b, tokens.accessToken)).statusCode).toBe(200);
    expect((await a.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(tokens.accessToken) })).statusCode).toBe(204);
    const res = await me(b, tokens.accessToken);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_TOKEN_REVOKED');
  });

  it('refuses on B a session the user revoked on A through /v1/me/sessions', async () => {
    const alice = await registerAndLogin(a.app);
    const other = (await post(b.app, '/v1/auth/login', { email: alice.email, password: STRONG_PASSWORD })).json() as Tokens;
    const sessions = (await a.app.inject({ method: 'GET', url: '/v1/me/sessions', headers: bearer(alice.tokens.accessToken) })).json() as { id: string; current: boolean }[];
    const target = sessions.find((s) => !s.current)!;
    expect((await a.app.inject({ method: 'DELETE', url: `/v1/me/sessions/${target.id}`, headers: bearer(alice.tokens.accessToken) })).statusCode).toBe(204);
    expect((await me(b, other.accessToken)).json().code).toBe('AUTH_TOKEN_REVOKED');
  });

  it('detects a refresh token rotated on A and replayed on B, and kills the family everywhere', async () => {
    const { tokens } = await registerAndLogin(a.app);
    const rotated = await post(a.app, '/v1/auth/refresh', { refreshToken: tokens.refreshToken });
    expect(rotated.statusCode).toBe(200);
    const replay = await post(b.app, '/v1/auth/refresh', { refreshToken: tokens.refreshToken });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('AUTH_REFRESH_REUSED');
    const newest = rotated.json() as Tokens;
    expect((await me(a, newest.accessToken)).json().code).toBe('AUTH_TOKEN_REVOKED');
    expect((await post(a.app, '/v1/auth/refresh', { refreshToken: newest.refreshToken })).statusCode).toBe(401);
  });

  it('lets exactly one of two concurrent refreshes on different replicas win', async () => {
    const { tokens } = await registerAndLogin(a.app);
    const results = await Promise.all([
      post(a.app, '/v1/auth/refresh', { refreshToken: tokens.refreshToken }),
      post(b.app, '/v1/auth/refresh', { refreshToken: tokens.refreshToken }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });
});
