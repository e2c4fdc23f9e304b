/**
 * Shared load-generation helpers: target processes (bench/http-target.ts) and autocannon runs.
 * Each target runs in its own child process so the load generator and the server do not share
 * an event loop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const TARGET = fileURLToPath(new URL('./http-target.js', import.meta.url));
export const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
export const CONNECTIONS = 32;
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

export interface Sample {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Requests per second of server CPU time (user + system), the server's own capacity. */
  perCpuSecond: number;
}

/** The target's CPU time in microseconds (user + system), asked over IPC. */
export function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      const usage = (m as { cpu?: { user: number; system: number } }).cpu;
      if (!usage) return;
      child.off('message', onMessage);
      resolve(usage.user + usage.system);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

export async function startTarget(mode: string): Promise<{ child: ChildProcess; port: number; token: string }> {
  const child = fork(TARGET, [mode], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const ready = await new Promise<{ port: number; token: string }>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      const m = /ready (\d+) ?(\S*)/.exec(d.toString());
      if (m) resolve({ port: Number(m[1]), token: m[2] ?? '' });
    });
    child.on('exit', (code) => reject(new Error(`target ${mode} exited ${code}`)));
  });
  return { child, ...ready };
}

export async function measure(url: string, headers: Record<string, string> = {}, target?: ChildProcess): Promise<Sample> {
  const tls = url.startsWith('https:');
  const options = { url, headers, connections: CONNECTIONS, ...(tls ? { tlsOptions: { rejectUnauthorized: false } } : {}) };
  await autocannon({ ...options, duration: 2 } as autocannon.Options); // warm-up, not measured
  const cpuBefore = target ? await cpuOf(target) : 0;
  const r = await autocannon({ ...options, duration: DURATION_S } as autocannon.Options);
  const cpuSeconds = target ? ((await cpuOf(target)) - cpuBefore) / 1e6 : 0;
  return {
    rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx,
    perCpuSecond: cpuSeconds > 0 ? r.requests.total / cpuSeconds : 0,
  };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export function summarise(samples: Sample[]): Sample {
  return {
    rps: median(samples.map((s) => s.rps)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    errors: samples.reduce((n, s) => n + s.errors, 0),
    perCpuSecond: median(samples.map((s) => s.perCpuSecond)),
  };
}
