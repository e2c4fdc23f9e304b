/**
 * Issue 7 acceptance, replica test: two built `q2 serve` processes sharing Redis (and one
 * PostgreSQL database) enforce ONE combined limit, and a ban issued by one holds on the other
 * at the very next request. The test plays the load balancer: it is the trusted proxy
 * (Q2_TRUST_PROXY=127.0.0.1/32) and names the client in X-Forwarded-For, a random address so
 * that nothing else sharing the Redis server is affected.
 */
import https from 'node:https';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_NETWORK_CONFIG, banDurationMs } from '../../src/modules/network/index.js';
import { createThrowawayPostgres, testDatabaseUrl, testRedisUrl, type ThrowawayDatabase } from '../support/backends.js';
import { buildCli, spawnCli, waitForOutput } from '../support/cli.js';

type Replica = ReturnType<typeof spawnCli> & { port: number };
const replicas: Replica[] = [];
const dirs: string[] = [];
let database: ThrowawayDatabase;
const CLIENT = `198.18.${randomInt(0, 255)}.${randomInt(1, 255)}`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function startReplica(env: Record<string, string>): Promise<Replica> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'q2-replica-'));
  dirs.push(dataDir);
  const port = await freePort();
  const child = spawnCli(['serve'], { Q2_DATA_DIR: dataDir, Q2_PORT: String(port), Q2_LOG_LEVEL: 'info', Q2_TRUST_PROXY: '127.0.0.1/32', ...env });
  const replica = Object.assign(child, { port });
  replicas.push(replica);
  await waitForOutput(child, (out) => out.includes('q2 listening'), 60_000);
  return replica;
}

beforeAll(async () => {
  const adminUrl = await testDatabaseUrl();
  const redisUrl = await testRedisUrl();
  if (!adminUrl || !redisUrl) throw new Error('replica test needs PostgreSQL and Redis (set Q2_TEST_DATABASE_URL and Q2_TEST_REDIS_URL)');
  buildCli();
  database = await createThrowawayPostgres(adminUrl);
  const shared = { Q2_DATABASE_URL: database.url, Q2_REDIS_URL: redisUrl };
  const a = await startReplica(shared);
  const aDir = dirs[0]!;
  // Replicas of one deployment share their key-encryption key and certificate.
  await startReplica({ ...shared, Q2_MASTER_KEY_FILE: `${aDir}/master.key`, Q2_TLS_CERT: `${aDir}/tls/cert.pem`, Q2_TLS_KEY: `${aDir}/tls/key.pem` });
  expect(a.exitCode).toBeNull();
}, 180_000);

afterAll(async () => {
  await Promise.all(replicas.map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  })));
  await database?.drop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Answer { status: number; code: string | undefined; retryAfter: string | undefined }

/** POST /v1/auth/login with an empty object: an `auth`-class route, refused by validation (400) when admitted. */
function hit(replica: Replica): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: replica.port, path: '/v1/auth/login', method: 'POST', rejectUnauthorized: false, agent: false,
      headers: { 'content-type': 'application/json', 'x-forwarded-for': CLIENT },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        const header = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, code: (JSON.parse(text) as { code?: string }).code, retryAfter: Array.isArray(header) ? header[0] : header });
      });
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe('two q2 serve replicas sharing Redis', () => {
  const { limit, windowMs } = DEFAULT_NETWORK_CONFIG.classes.auth.perIp!;

  it('enforce one combined limit, not one per replica', async () => {
    const started = Date.now();
    const answers: Answer[] = [];
    for (let i = 0; i < 2 * limit; i++) answers.push(await hit(replicas[i % 2]!));
    const elapsedS = (Date.now() - started) / 1000;
    const admitted = answers.filter((a) => a.status !== 429).length;
    expect(answers.filter((a) => a.status !== 429).every((a) => a.code === 'VALIDATION_FAILED')).toBe(true);
    // Exactly `limit`, plus what the bucket refilled while the test ran (limit per window).
    expect(admitted).toBeGreaterThanOrEqual(limit);
    expect(admitted).toBeLessThanOrEqual(limit + Math.ceil((elapsedS * 1000 * limit) / windowMs) + 1);
    // Both replicas refused: the budget they drew from was one.
    expect(answers.filter((a, i) => i % 2 === 0 && a.status === 429).length).toBeGreaterThan(0);
    expect(answers.filter((a, i) => i % 2 === 1 && a.status === 429).length).toBeGreaterThan(0);
  }, 60_000);

  it('share a ban within one request: the replica that bans and the other both answer IP_BLOCKED', async () => {
    let banned: { index: number; answer: Answer } | undefined;
    for (let i = 0; i < 4_000 && !banned; i++) {
      const answer = await hit(replicas[i % 2]!);
      if (answer.status === 403) banned = { index: i % 2, answer };
      else {
        expect(answer.code === 'RATE_LIMITED' || answer.code === 'VALIDATION_FAILED').toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 20)); // a persistent, not a frantic, offender
      }
    }
    expect(banned?.answer.code).toBe('IP_BLOCKED');
    expect(banned?.answer.retryAfter).toBe(String(banDurationMs(1, DEFAULT_NETWORK_CONFIG.recidive) / 1000));
    const other = await hit(replicas[1 - banned!.index]!);
    expect(other.status).toBe(403);
    expect(other.code).toBe('IP_BLOCKED');
    for (const replica of replicas) expect(replica.exitCode).toBeNull();
  }, 90_000);
});
