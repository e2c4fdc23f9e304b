/**
 * `q2 serve` as an operator runs it: the built binary, development mode on an empty data dir,
 * HTTPS on the configured port, graceful shutdown on SIGTERM; config errors stop the start.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { request } from '../support/https.js';
import { buildCli, runCli, spawnCli, waitForOutput } from '../support/cli.js';

beforeAll(() => buildCli(), 120_000);

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'q2-cli-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('q2 serve', () => {
  it('starts in loud development mode, generates 0600 secrets, serves HTTPS and drains on SIGTERM', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const child = spawnCli(['serve'], { Q2_DATA_DIR: dataDir, Q2_PORT: String(port), Q2_LOG_LEVEL: 'info' });
    try {
      await waitForOutput(child, (out) => out.includes('q2 listening'));
      expect(child.output()).toContain('DEVELOPMENT MODE');
      expect(statSync(path.join(dataDir, 'tls', 'key.pem')).mode & 0o777).toBe(0o600);
      expect(existsSync(path.join(dataDir, 'q2.db'))).toBe(true);

      const res = await request(`https://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(child.output()).toContain('shutdown complete');
  });

  it('stops with one line naming a wrong variable and a non-zero status', async () => {
    const run = await runCli(['serve'], { Q2_DATA_DIR: tempDir(), Q2_PORT: 'eighty' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('Q2_PORT');
  });
});

describe('q2 migrate', () => {
  it('applies migrations once and is idempotent', async () => {
    const env = { Q2_DATA_DIR: tempDir() };
    const first = await runCli(['migrate'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied: 0001_foundation/);
    const second = await runCli(['migrate'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('database is up to date\n');
  });

  it('rejects an unknown command with status 2', async () => {
    const run = await runCli(['frobnicate'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command');
  });
});
