/**
 * HTTP stack overhead: requests/s and latency of one route through the full Q2 stack against a
 * bare Fastify route, measured in the same run with the same load generator. Rounds alternate
 * bare/stack to spread machine noise.
 */
import { fileURLToPath } from 'node:url';
import { CONNECTIONS, DURATION_S, ROUNDS, measure, startTarget, summarise, type Sample } from './load.js';

async function sample(mode: string): Promise<Sample> {
  const { child, port } = await startTarget(mode);
  try {
    return await measure(`${mode === 'stack-tls' ? 'https' : 'http'}://127.0.0.1:${port}/v1/bench/ping`, {}, child);
  } finally {
    child.kill('SIGTERM');
  }
}

export async function benchHttp(): Promise<string> {
  const results: Record<string, Sample[]> = { bare: [], stack: [], 'stack-tls': [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of Object.keys(results)) results[mode]!.push(await sample(mode));
  }
  const summary = Object.fromEntries(Object.entries(results).map(([mode, samples]) => [mode, summarise(samples)]));
  const bare = summary.bare!.rps;
  const bareCpu = summary.bare!.perCpuSecond;
  return [
    '## HTTP stack overhead',
    '',
    `GET /v1/bench/ping, autocannon ${CONNECTIONS} connections, ${DURATION_S} s per sample after a 2 s warm-up, median of ${ROUNDS} alternating rounds.`,
    '',
    '| target | requests/s | p50 ms | p99 ms | errors | vs bare | requests per server CPU-second | vs bare |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...Object.entries(summary).map(([mode, s]) =>
      `| ${mode} | ${Math.round(s.rps)} | ${s.p50} | ${s.p99} | ${s.errors} | ${((s.rps / bare) * 100).toFixed(1)}% | ${Math.round(s.perCpuSecond)} | ${((s.perCpuSecond / bareCpu) * 100).toFixed(1)}% |`),
    '',
    '- `bare`: Fastify 5, one route, no logging, no hooks, plain HTTP.',
    '- `stack`: the Q2 platform over plain HTTP: security headers, request id, problem+json errors, access log line (pino, info, to a file), Prometheus metrics, strict validators, and every capability\'s request hooks.',
    '- `stack-tls`: the same over TLS 1.3 (what `q2 serve` runs).',
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchHttp().then((md) => process.stdout.write(`${md}\n`), (e: unknown) => { console.error(e); process.exitCode = 1; });
}
