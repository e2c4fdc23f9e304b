/**
 * Threat: a request flood at several times a route's capacity, spread over many addresses so
 * that per-address limits alone cannot stop it. Property: the server sheds load (503
 * SERVICE_OVERLOADED with Retry-After) instead of queueing without bound, /healthz keeps
 * answering, a legitimate client keeps getting a bounded share of answers, and service
 * recovers as soon as the flood stops. The target runs in its own process (dist/bench/network.js
 * target flood) so its event loop is not the load generator's; figures: docs/BENCHMARKS.md.
 * The 503 shape and the health/admin exemption are checked deterministically, with an injected
 * load signal, in test/e2e/network-shedding.test.ts.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFlood, type FloodFigures } from '../../bench/network.js';
import { buildCli } from '../support/cli.js';

/** Share of the legitimate client's requests that must succeed during the flood. */
const LEGIT_SUCCESS_FLOOR = 0.2;
const TARGET = fileURLToPath(new URL('../../dist/bench/network.js', import.meta.url));
let child: ChildProcess;
let port: number;

beforeAll(async () => {
  buildCli();
  child = fork(TARGET, ['target', 'flood'], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      const m = /ready (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`flood target exited ${code}`)));
  });
}, 180_000);
afterAll(() => {
  child?.kill('SIGTERM');
});

/** One request from a fresh address after the flood. */
function freshRequest(): Promise<{ status: number; retryAfter: string | undefined; code: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/v1/bench/work', agent: false, headers: { 'x-forwarded-for': '203.0.113.200' } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, code: (JSON.parse(text) as { code?: string }).code ?? '' }));
    }).on('error', reject);
  });
}

describe('flood at several times capacity from 200 addresses', () => {
  let figures: FloodFigures;

  it('sheds load rather than queueing it, with coded 503s', async () => {
    figures = await runFlood(port, 6, 256, TARGET);
    // How far above capacity the offered load gets, and the latencies, depend on the machine
    // (a shared 2-core runner starves the probing process too); the figures are in
    // docs/BENCHMARKS.md. The property tested: overload is answered with cheap 503s.
    expect(figures.attackCodes['503'] ?? 0).toBeGreaterThan(0);
  }, 60_000);

  it('never shed /healthz, which kept answering during the flood', () => {
    expect(figures.health.total).toBeGreaterThan(10);
    expect(figures.health.shed).toBe(0);
    expect(figures.health.ok).toBeGreaterThan(0);
  });

  it('kept serving the legitimate client during the flood, with a bounded error rate', () => {
    expect(figures.legit.total).toBeGreaterThan(10);
    // Every request the client sent is counted, timeouts (3 s) included. The flood comes from
    // 200 addresses at about the client's own rate each, so nothing can tell the client from the
    // bots: it gets roughly the admitted share, less what queueing costs. Measured 33–57 % on
    // the shared 2-core machine at load average 9–11 (docs/BENCHMARKS.md); the bound leaves
    // margin for a CI runner that is busier still. It is a regression floor, not a claim that
    // the layer tells the client apart: the same machine measured 22 % for a process without
    // the layer, so this bound alone would not catch losing the layer (the 503 and /healthz
    // checks here, and the shedding e2e test, do).
    expect(figures.legit.ok / figures.legit.total).toBeGreaterThanOrEqual(LEGIT_SUCCESS_FLOOR);
  });

  it('recovered as soon as the flood stopped', async () => {
    expect(figures.recoveryMs).not.toBeNull();
    const after = await freshRequest();
    expect(after.status).toBe(200);
  });
});
