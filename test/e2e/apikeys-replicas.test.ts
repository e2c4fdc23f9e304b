/**
 * API keys across two replicas sharing PostgreSQL and Redis (SPEC §1, §4): a key created on one
 * replica signs requests the other accepts (the HMAC secret decrypts under the shared key ring),
 * and a revocation on one replica is effective on the other at its very next request, although
 * that replica had the key warm in its cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQ2Client, type Credentials, type Q2Client } from '../../src/client/index.js';
import { createManualClock } from '../../src/lib/clock/index.js';
import { createThrowawayPostgres, testDatabaseUrl, testRedisUrl, type ThrowawayDatabase } from '../support/backends.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { createKey, ed25519Pair, injectTransport, scopedTestRoutes, steppedUpUser, testAddress, type Reached } from '../support/apikeys.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
const reached: Reached[] = [];
// Refusals raise the sender's risk score in the shared Redis: never send them as 127.0.0.1.
const from = testAddress();
let database: ThrowawayDatabase;
let a: TestPlatform;
let b: TestPlatform;

beforeAll(async () => {
  const adminUrl = await testDatabaseUrl();
  const redisUrl = await testRedisUrl();
  if (!adminUrl || !redisUrl) throw new Error('replica test needs PostgreSQL and Redis (set Q2_TEST_DATABASE_URL and Q2_TEST_REDIS_URL)');
  database = await createThrowawayPostgres(adminUrl);
  const routes = [scopedTestRoutes(reached)];
  a = await startTestPlatform({ Q2_DATABASE_URL: database.url, Q2_REDIS_URL: redisUrl }, { clock, routes });
  b = await startTestPlatform({
    Q2_DATABASE_URL: database.url, Q2_REDIS_URL: redisUrl, Q2_MASTER_KEY_FILE: `${a.dataDir}/master.key`,
    Q2_TLS_CERT: `${a.dataDir}/tls/cert.pem`, Q2_TLS_KEY: `${a.dataDir}/tls/key.pem`,
  }, { clock, routes });
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await database?.drop();
});

const sdk = (platform: TestPlatform, credentials: Credentials): Q2Client =>
  createQ2Client({ baseUrl: 'https://api.q2.test', credentials, transport: injectTransport(platform.app, from), now: () => clock.now() });

describe('API keys on two replicas', () => {
  it.each(['hmac-sha256', 'ed25519'] as const)('accepts on B a %s key created on A, and refuses it on B right after A revoked it', async (algorithm) => {
    const user = await steppedUpUser(a.app, clock);
    const pair = ed25519Pair();
    const key = await createKey(a.app, user.token, {
      label: 'replicated', scopes: ['read'], ipAllowlist: [], algorithm, ...(algorithm === 'ed25519' ? { publicKey: pair.publicKeyPem } : {}),
    });
    const credentials: Credentials = algorithm === 'ed25519'
      ? { kind: 'apikey', keyId: key.keyId, algorithm, privateKey: pair.privateKey }
      : { kind: 'apikey', keyId: key.keyId, algorithm, secret: key.secret ?? '' };
    const onB = sdk(b, credentials);
    // Warm B's key cache with a few requests.
    for (let i = 0; i < 3; i++) await expect(onB.request('GET', '/v1/test/read')).resolves.toMatchObject({ ok: true });

    await sdk(a, { kind: 'bearer', token: user.token }).revokeApiKey(key.keyId);
    const before = reached.length;
    await expect(onB.request('GET', '/v1/test/read')).rejects.toMatchObject({ status: 401, code: 'SIGNATURE_INVALID' });
    await expect(sdk(a, credentials).request('GET', '/v1/test/read')).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect(reached).toHaveLength(before);
  });

  it('still refuses the revoked key on B after the revocation marker expired (the database answers)', async () => {
    const user = await steppedUpUser(a.app, clock);
    const key = await createKey(a.app, user.token, { label: 'old', scopes: ['read'], ipAllowlist: [], algorithm: 'hmac-sha256' });
    const onB = sdk(b, { kind: 'apikey', keyId: key.keyId, algorithm: 'hmac-sha256', secret: key.secret ?? '' });
    await expect(onB.request('GET', '/v1/test/read')).resolves.toMatchObject({ ok: true });
    await sdk(a, { kind: 'bearer', token: user.token }).revokeApiKey(key.keyId);
    expect(b.state.kind).toBe('redis');
    // The marker lives 2 × 60 s in Redis (real time); the cache entry ages out on the manual clock.
    clock.advance(61_000);
    await b.state.delete(`apikeys:revoked:${key.keyId}`);
    await expect(onB.request('GET', '/v1/test/read')).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
  });
});
