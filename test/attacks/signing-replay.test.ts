/**
 * Threat: replay of a captured signed request (most exchanges accept any replay inside their time
 * window). SPEC §4: a `(keyid, nonce)` pair is accepted once within the window across all
 * replicas. Two full platforms share PostgreSQL and Redis, as two `q2 serve` processes would; a
 * replay must be refused on the replica that served the original and on the other one, and of
 * concurrent copies exactly one may be served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newNonce } from '../../src/client/index.js';
import { createManualClock } from '../../src/lib/clock/index.js';
import type { SigningKey } from '../../src/modules/signing/index.js';
import { createThrowawayPostgres, testDatabaseUrl, testRedisUrl, type ThrowawayDatabase } from '../support/backends.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { createEd25519Key, createKey, scopedTestRoutes, sendWire, signWire, signingKeyOf, steppedUpUser, testAddress, type Reached } from '../support/apikeys.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
const reached: Reached[] = [];
// Replays raise the sender's risk score in the shared Redis: never send them as 127.0.0.1.
const from = testAddress();
let database: ThrowawayDatabase;
let a: TestPlatform;
let b: TestPlatform;
let ed: { keyId: string; key: SigningKey };
let hmac: { keyId: string; key: SigningKey };

beforeAll(async () => {
  const adminUrl = await testDatabaseUrl();
  const redisUrl = await testRedisUrl();
  if (!adminUrl || !redisUrl) throw new Error('replay test needs PostgreSQL and Redis (set Q2_TEST_DATABASE_URL and Q2_TEST_REDIS_URL)');
  database = await createThrowawayPostgres(adminUrl);
  const routes = [scopedTestRoutes(reached)];
  a = await startTestPlatform({ Q2_DATABASE_URL: database.url, Q2_REDIS_URL: redisUrl }, { clock, routes });
  // Replicas of one deployment share the KEK, so either decrypts the HMAC secrets.
  b = await startTestPlatform({
    Q2_DATABASE_URL: database.url, Q2_REDIS_URL: redisUrl, Q2_MASTER_KEY_FILE: `${a.dataDir}/master.key`,
    Q2_TLS_CERT: `${a.dataDir}/tls/cert.pem`, Q2_TLS_KEY: `${a.dataDir}/tls/key.pem`,
  }, { clock, routes });
  const user = await steppedUpUser(a.app, clock);
  ed = await createEd25519Key(a.app, user.token, { label: 'ed', scopes: ['trade'] });
  const hmacKey = await createKey(a.app, user.token, { label: 'hmac', scopes: ['trade'], ipAllowlist: [], algorithm: 'hmac-sha256' });
  hmac = { keyId: hmacKey.keyId, key: signingKeyOf(hmacKey) };
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await database?.drop();
});

const signed = (key: { keyId: string; key: SigningKey }, nonce?: string, clientOrderId = `o-${reached.length}`) =>
  signWire({ method: 'POST', target: '/v1/test/trade', body: { clientOrderId }, keyId: key.keyId, key: key.key, nowMs: clock.now(), remoteAddress: from, ...(nonce ? { nonce } : {}) });

describe.each([['ed25519', () => ed], ['hmac-sha256', () => hmac]] as const)('replayed %s requests', (_alg, key) => {
  it('refuses a replay on the same replica with REPLAY_DETECTED and serves the original once', async () => {
    const request = signed(key());
    const before = reached.length;
    expect((await sendWire(a.app, request)).statusCode).toBe(200);
    const replay = await sendWire(a.app, request);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('REPLAY_DETECTED');
    expect(reached).toHaveLength(before + 1);
  });

  it('refuses on replica B a request replica A already served, while the signature is still fresh', async () => {
    const request = signed(key());
    const before = reached.length;
    expect((await sendWire(a.app, request)).statusCode).toBe(200);
    clock.advance(20_000); // still inside the ±30 s window: only the nonce store stops it
    const replay = await sendWire(b.app, request);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('REPLAY_DETECTED');
    expect(reached).toHaveLength(before + 1);
  });

  it('serves exactly one of 16 concurrent copies spread over both replicas', async () => {
    const request = signed(key());
    const before = reached.length;
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => sendWire(i % 2 === 0 ? a.app : b.app, request)));
    const codes = answers.map((r) => (r.statusCode === 200 ? 'OK' : (r.json() as { code: string }).code));
    expect(codes.filter((c) => c === 'OK')).toHaveLength(1);
    expect(codes.filter((c) => c === 'REPLAY_DETECTED')).toHaveLength(15);
    expect(reached).toHaveLength(before + 1);
  });

  it('refuses a nonce reused in a new, validly signed request with other content', async () => {
    const nonce = newNonce();
    expect((await sendWire(a.app, signed(key(), nonce, 'first'))).statusCode).toBe(200);
    const before = reached.length;
    const reuse = await sendWire(b.app, signed(key(), nonce, 'second'));
    expect(reuse.json().code).toBe('REPLAY_DETECTED');
    expect(reached).toHaveLength(before);
  });
});

describe('nonce scope', () => {
  it('keeps nonces per key: the same nonce under another key is not a replay', async () => {
    const nonce = newNonce();
    expect((await sendWire(a.app, signed(ed, nonce))).statusCode).toBe(200);
    expect((await sendWire(b.app, signed(hmac, nonce))).statusCode).toBe(200);
  });

  it('refuses the captured request once its window has passed, with SIGNATURE_EXPIRED', async () => {
    const request = signed(ed);
    expect((await sendWire(a.app, request)).statusCode).toBe(200);
    clock.advance(31_000);
    const late = await sendWire(b.app, request);
    expect(late.json().code).toBe('SIGNATURE_EXPIRED');
  });
});
