/**
 * Operator knobs (docs/network.md "Operator policy"): a Q2_NETWORK_POLICY_FILE given to a real
 * `q2 serve` changes the limit it enforces; a bad file stops the start with one line naming
 * the variable; admins can read the policy in force at GET /v1/admin/network/policy.
 */
import https from 'node:https';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal, Role } from '../../src/lib/auth/index.js';
import { DEFAULT_NETWORK_CONFIG } from '../../src/modules/network/index.js';
import { buildCli, runCli, spawnCli, waitForOutput } from '../support/cli.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const dir = mkdtempSync(path.join(tmpdir(), 'q2-policy-e2e-'));
const policyFile = path.join(dir, 'network-policy.json');
// Far below the default of 60 per minute, over an hour, so nothing refills during the test.
writeFileSync(policyFile, JSON.stringify({ classes: { auth: { perIp: { limit: 3, windowMs: 3_600_000 } } }, connections: { maxPerIp: 32 } }));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('q2 serve with Q2_NETWORK_POLICY_FILE', () => {
  let server: ReturnType<typeof spawnCli> | undefined;
  let port: number;

  beforeAll(async () => {
    buildCli();
    port = await freePort();
    const dataDir = mkdtempSync(path.join(dir, 'data-'));
    server = spawnCli(['serve'], { Q2_DATA_DIR: dataDir, Q2_PORT: String(port), Q2_LOG_LEVEL: 'info', Q2_TRUST_PROXY: '127.0.0.1/32', Q2_NETWORK_POLICY_FILE: policyFile });
    await waitForOutput(server, (out) => out.includes('q2 listening'), 60_000);
  }, 180_000);

  afterAll(async () => {
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  });

  /** POST /v1/auth/login with `{}`: an `auth`-class route; 400 VALIDATION_FAILED when admitted. */
  function login(): Promise<{ status: number; limit: string | undefined }> {
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1', port, path: '/v1/auth/login', method: 'POST', rejectUnauthorized: false, agent: false,
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.77' },
      }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, limit: res.headers['ratelimit-limit'] as string | undefined }));
      });
      req.on('error', reject);
      req.end('{}');
    });
  }

  it('enforces the configured per-address limit of the auth class, not the default', async () => {
    expect(DEFAULT_NETWORK_CONFIG.classes.auth.perIp?.limit).toBe(60);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await login());
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 429]);
    expect(answers[3]!.limit).toBe('3');
  }, 30_000);

  it('refuses to start on a bad policy, with one line naming the variable and the setting', async () => {
    const bad = path.join(dir, 'bad-policy.json');
    writeFileSync(bad, JSON.stringify({ shedding: { delayStartMs: 900, delayFullMs: 100 }, classes: { auth: { perIP: 5 } } }));
    const run = await runCli(['serve'], { Q2_DATA_DIR: mkdtempSync(path.join(dir, 'bad-')), Q2_PORT: String(await freePort()), Q2_NETWORK_POLICY_FILE: bad });
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toMatch(/^q2: configuration error: Q2_NETWORK_POLICY_FILE: .*unknown setting classes\.auth\.perIP$/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});

describe('GET /v1/admin/network/policy', () => {
  let platform: TestPlatform;

  /** `x-test-role: admin|trader` authenticates, as the identity module would. */
  async function authenticate(request: FastifyRequest): Promise<Principal | null> {
    const role = request.headers['x-test-role'];
    if (typeof role !== 'string') return null;
    return { kind: 'user', userId: `${role}-1`, roles: [role as Role], amr: ['pwd', 'otp'], authTime: Date.now() };
  }

  beforeAll(async () => {
    platform = await startTestPlatform({ Q2_NETWORK_POLICY_FILE: policyFile }, { authenticate, insecureHttp: true });
  });
  afterAll(async () => platform?.stop());

  it('shows an admin the policy in force: the file merged onto the defaults', async () => {
    const res = await platform.app.inject({ method: 'GET', url: '/v1/admin/network/policy', headers: { 'x-test-role': 'admin' } });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ source: string; policy: typeof DEFAULT_NETWORK_CONFIG }>();
    expect(body.source).toBe('file');
    expect(body.policy.classes.auth.perIp).toEqual({ limit: 3, windowMs: 3_600_000 });
    expect(body.policy.connections.maxPerIp).toBe(32);
    expect(body.policy.classes.read).toEqual(DEFAULT_NETWORK_CONFIG.classes.read);
    expect(body.policy.recidive).toEqual(DEFAULT_NETWORK_CONFIG.recidive);
    expect(body.policy.adaptive.tiers).toEqual(DEFAULT_NETWORK_CONFIG.adaptive.tiers);
  });

  it('is refused to a trader and to an anonymous caller', async () => {
    const trader = await platform.app.inject({ method: 'GET', url: '/v1/admin/network/policy', headers: { 'x-test-role': 'trader' } });
    expect(trader.statusCode).toBe(403);
    const anonymous = await platform.app.inject({ method: 'GET', url: '/v1/admin/network/policy' });
    expect(anonymous.statusCode).toBe(401);
  });
});
