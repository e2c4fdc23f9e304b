/**
 * `q2 prices` as an operator runs it (the built binary): generate source keys, register them on
 * the local platform, then publish signed prices over TLS to a running server — including one
 * misbehaving source, which the server excludes from the reference price.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditCapability } from '../../src/modules/audit/index.js';
import type { MarketDataCapability } from '../../src/modules/marketdata/index.js';
import { buildCli, runCli } from '../support/cli.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'q2-prices-data-'));
const keysDir = path.join(mkdtempSync(path.join(tmpdir(), 'q2-prices-keys-')), 'feeds');
let platform: TestPlatform;
let base: string;

beforeAll(() => buildCli(), 120_000);
afterAll(async () => {
  await platform?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(path.dirname(keysDir), { recursive: true, force: true });
});

const summary = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as { rounds: number; updates: number; results: Record<string, number> };

describe('q2 prices', () => {
  it('keygen writes one 0600 Ed25519 key per source and prints registration bodies', async () => {
    const run = await runCli(['prices', 'keygen', '--dir', keysDir, '--sources', '3', '--symbol', 'BTC-USD'], {});
    expect(run.code).toBe(0);
    const bodies = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { sourceId: string; publicKey: string; symbols: string[] });
    expect(bodies.map((b) => b.sourceId)).toEqual(['sim-1', 'sim-2', 'sim-3']);
    expect(bodies[0]!.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(statSync(path.join(keysDir, 'sim-1.key')).mode & 0o777).toBe(0o600);
    // Idempotent: a second run keeps the keys.
    expect((await runCli(['prices', 'keygen', '--dir', keysDir, '--sources', '3'], {})).stdout).toContain(bodies[2]!.publicKey.split('\n')[1]);
  });

  it('register configures the symbol and registers the sources on the local platform, audited as cli', async () => {
    const run = await runCli(['prices', 'register', '--dir', keysDir, '--symbol', 'BTC-USD', '--min', '1000', '--max', '1000000', '--decimals', '2', '--quorum', '3'], { Q2_DATA_DIR: dataDir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('configured BTC-USD');
    expect(run.stdout.match(/^registered sim-\d/gm)).toHaveLength(3);
    const again = await runCli(['prices', 'register', '--dir', keysDir, '--symbol', 'BTC-USD'], { Q2_DATA_DIR: dataDir });
    expect(again.stdout.match(/already registered/g)).toHaveLength(3);
  });

  it('simulate publishes signed prices that the server verifies and aggregates', async () => {
    platform = await startTestPlatform({ Q2_DATA_DIR: dataDir });
    base = await platform.listen();
    const run = await runCli(['prices', 'simulate', '--dir', keysDir, '--symbol', 'BTC-USD', '--price', '60000', '--url', base, '--rounds', '3', '--rate', '20', '--ca', path.join(dataDir, 'tls', 'cert.pem')], {});
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(summary(run.stdout)).toEqual({ rounds: 3, updates: 9, results: { accepted: 9 } });
    const { marketData } = platform.capabilities.find((c) => c.name === 'marketdata') as MarketDataCapability;
    const audit = (platform.capabilities.find((c) => c.name === 'audit') as AuditCapability).logger;
    const registered = await audit.search({ action: 'marketdata.source_registered', limit: 10, order: 'asc' });
    expect(registered.entries.map((e) => [e.actor, e.target])).toEqual([['cli', 'sim-1'], ['cli', 'sim-2'], ['cli', 'sim-3']]);
    const view = marketData.view('BTC-USD')!;
    expect(view.sources.map((s) => s.sourceId)).toEqual(['sim-1', 'sim-2', 'sim-3']);
    for (const s of view.sources) expect(Math.abs(Number(s.price) - 60_000)).toBeLessThan(600);
  });

  it('simulate with an outlier source: accepted, but excluded from the reference', async () => {
    const run = await runCli(['prices', 'simulate', '--dir', keysDir, '--symbol', 'BTC-USD', '--price', '60000', '--url', base, '--rounds', '2', '--rate', '20',
      '--outlier', 'sim-3:800', '--ca', path.join(dataDir, 'tls', 'cert.pem')], {});
    expect(summary(run.stdout).results).toEqual({ accepted: 6 });
    const { marketData } = platform.capabilities.find((c) => c.name === 'marketdata') as MarketDataCapability;
    expect(marketData.view('BTC-USD')!.sources.find((s) => s.sourceId === 'sim-3')!.state).toBe('excluded');
  });

  it('fails with a usage line or a one-line reason', async () => {
    expect((await runCli(['prices'], {})).code).toBe(2);
    const missing = await runCli(['prices', 'simulate', '--dir', keysDir], {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('q2: --symbol and --price are required\n');
    const refused = await runCli(['prices', 'simulate', '--dir', keysDir, '--symbol', 'BTC-USD', '--price', '1', '--url', 'https://127.0.0.1:1', '--rounds', '1'], {});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^q2: cannot reach https:\/\/127\.0\.0\.1:1: /);
  });
});
