/**
 * HTTP stack overhead: requests/s and latency of one route through the full Q2 stack against a
 * bare Fastify route, measured in the same run with the same load generator (autocannon in this
 * process, each target in its own child process so they never share a core with the generator's
 * event loop more than necessary). Rounds alternate bare/stack to spread machine noise.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const TARGET = fileURLToPath(new URL('./http-target.js', import.meta.url));
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const CONNECTIONS = 32;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

interface Sample { rps: number; p50: number; p99: number; errors: number; non2xx: number }

async function startTarget(mode: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(TARGET, [mode], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      const m = /ready (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`target ${mode} exited ${code}`)));
  });
  return { child, port };
}

async function load(mode: string): Promise<Sample> {
  const { child, port } = await startTarget(mode);
  try {
    const tls = mode === 'stack-tls';
    const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}/v1/bench/ping`;
    // Warm-up (JIT, connection setup) is not measured.
    await autocannon({ url, connections: CONNECTIONS, duration: 2, ...(tls ? { tlsOptions: { rejectUnauthorized: false } } : {}) } as autocannon.Options);
    const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, ...(tls ? { tlsOptions: { rejectUnauthorized: false } } : {}) } as autocannon.Options);
    return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
  } finally {
    child.kill('SIGTERM');
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function benchHttp(): Promise<string> {
  const results: Record<string, Sample[]> = { bare: [], stack: [], 'stack-tls': [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of Object.keys(results)) results[mode]!.push(await load(mode));
  }
  const summary = Object.fromEntries(Object.entries(results).map(([mode, samples]) => [mode, {
    rps: median(samples.map((s) => s.rps)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    errors: samples.reduce((n, s) => n + s.errors + s.non2xx, 0),
  }]));
  const bare = summary.bare!.rps;
  const lines = [
    '## HTTP stack overhead',
    '',
    `GET /v1/bench/ping, autocannon ${CONNECTIONS} connections, ${DURATION_S} s per sample after a 2 s warm-up, median of ${ROUNDS} alternating rounds.`,
    '',
    '| target | requests/s | p50 ms | p99 ms | errors | vs bare |',
    '|---|---:|---:|---:|---:|---:|',
    ...Object.entries(summary).map(([mode, s]) =>
      `| ${mode} | ${Math.round(s.rps)} | ${s.p50} | ${s.p99} | ${s.errors} | ${((s.rps / bare) * 100).toFixed(1)}% |`),
    '',
    '- `bare`: Fastify 5, one route, no logging, no hooks, plain HTTP.',
    '- `stack`: the Q2 platform over plain HTTP: security headers, request id, problem+json errors, access log line (pino, info, to a file), Prometheus metrics, strict validators.',
    '- `stack-tls`: the same over TLS 1.3 (what `q2 serve` runs).',
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchHttp().then((md) => process.stdout.write(`${md}\n`), (e: unknown) => { console.error(e); process.exitCode = 1; });
}
