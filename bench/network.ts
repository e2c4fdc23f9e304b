/**
 * Network protection benchmarks (issue 7), all against baselines measured in the same run:
 *
 * 1. limiter decisions/s: our token bucket over the shared StateStore vs rate-limiter-flexible
 *    (fixed window), in memory (sequential, one core) and on Redis (64 in flight);
 * 2. throughput cost of the whole network layer on a route (target process with vs without it);
 * 3. a flood at several times a route's capacity from 200 addresses: what attackers, a
 *    legitimate client and /healthz see, and how fast service recovers;
 * 4. a slowloris: 500 connections trickling headers from 5 addresses.
 *
 * `node dist/bench/network.js` prints the markdown section; `… target <mode>` is the server
 * process the HTTP parts fork (modes: bare, network, flood), printing `ready <port>`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { systemClock } from '../src/lib/clock/index.js';
import { loadConfig } from '../src/lib/config/index.js';
import { createDatabase } from '../src/lib/db/index.js';
import { createSecurityEventBus } from '../src/lib/events/index.js';
import { createMemoryStateStore, createRedisStateStore, type StateStore } from '../src/lib/state/index.js';
import { createLimiter } from '../src/modules/network/limiter.js';
import { createNetworkCapability, type NetworkConfigOverrides } from '../src/modules/network/index.js';
import { buildApp, type RouteModule } from '../src/server/app.js';
import type { PlatformCore } from '../src/server/capability.js';

const SELF = fileURLToPath(import.meta.url);
const REDIS_URL = process.env.Q2_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env.BENCH_DURATION_S ?? 8);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? 0;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// ---------------------------------------------------------------- 1. decisions/s

const KEYS = Array.from({ length: 1000 }, (_, i) => `bench:10.0.${i >> 8}.${i & 255}`);
const BIG = { limit: 1_000_000_000, windowMs: 60_000 };

interface Rate {
  /** Decisions per wall-clock second. */
  perSecond: number;
  /** Decisions per CPU-second of this process (robust to other load on the machine). */
  perCpuSecond: number;
  /** Redis server CPU per decision, µs (Redis runs only: INFO cpu before and after). */
  redisCpuUs?: number;
}

async function measure(run: () => Promise<void> | void, n: number, redis?: Redis): Promise<Rate> {
  const redisCpu = async () => {
    if (!redis) return 0;
    const info = await redis.info('cpu');
    return Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]) + Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]);
  };
  const r0 = await redisCpu();
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  await run();
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const r1 = await redisCpu();
  return { perSecond: n / wall, perCpuSecond: n / ((cpu.user + cpu.system) / 1e6), ...(redis ? { redisCpuUs: ((r1 - r0) * 1e6) / n } : {}) };
}

/** As the gate calls it on the in-process store: synchronous, no promise. */
function synchronous(fn: (key: string) => unknown, n: number): Promise<Rate> {
  const loop = (count: number) => { for (let i = 0; i < count; i++) fn(KEYS[i % 1000]!); };
  loop(200_000);
  return measure(() => loop(n), n);
}

async function sequential(fn: (key: string) => unknown, n: number): Promise<Rate> {
  const loop = async (count: number) => { for (let i = 0; i < count; i++) await fn(KEYS[i % 1000]!); };
  await loop(200_000);
  return measure(() => loop(n), n);
}

async function concurrent(fn: (key: string) => unknown, n: number, redis: Redis, inFlight = 64): Promise<Rate> {
  let i = 0;
  const worker = async () => { while (i < n) await fn(KEYS[i++ % 1000]!); };
  const all = () => Promise.all(Array.from({ length: inFlight }, worker)).then(() => undefined);
  await all();
  i = 0;
  return measure(all, n, redis);
}

const medianOf = (rates: Rate[], field: keyof Rate) => median(rates.map((r) => r[field] ?? 0));

async function benchDecisions(): Promise<string[]> {
  const memory = createMemoryStateStore({ clock: systemClock, maxKeys: 1_000_000 });
  const fallback = createMemoryStateStore({ clock: systemClock });
  const ours = createLimiter({ state: memory, fallback, clock: systemClock, maxTracked: 100_000 });
  const theirs = new RateLimiterMemory({ points: BIG.limit, duration: 60 });
  const mem = { sync: [] as Rate[], awaited: [] as Rate[], theirs: [] as Rate[] };
  for (let round = 0; round < 3; round++) {
    mem.sync.push(await synchronous((k) => ours.decide(k, BIG), 2_000_000));
    mem.awaited.push(await sequential((k) => ours.decide(k, BIG), 2_000_000));
    mem.theirs.push(await sequential((k) => theirs.consume(k), 2_000_000));
  }
  await memory.close();

  const prefix = `q2bench:${process.pid}:`;
  const shared: StateStore = createRedisStateStore({ url: REDIS_URL, keyPrefix: prefix });
  const ourRedis = createLimiter({ state: shared, fallback, clock: systemClock, maxTracked: 100_000 });
  const client = new Redis(REDIS_URL);
  const admin = new Redis(REDIS_URL);
  const theirRedis = new RateLimiterRedis({ storeClient: client, points: BIG.limit, duration: 60, keyPrefix: `${prefix}rlf` });
  const red = { ours: [] as Rate[], theirs: [] as Rate[] };
  for (let round = 0; round < 5; round++) {
    red.ours.push(await concurrent((k) => ourRedis.decide(k, BIG), 100_000, admin));
    red.theirs.push(await concurrent((k) => theirRedis.consume(k), 100_000, admin));
  }
  await shared.close();
  await fallback.close();
  client.disconnect();
  admin.disconnect();

  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const memRow = (name: string, rates: Rate[], target: string) =>
    `| ${name} | ${fmt(medianOf(rates, 'perSecond'))} | ${fmt(medianOf(rates, 'perCpuSecond'))} | ${ratio(medianOf(rates, 'perCpuSecond'), medianOf(mem.theirs, 'perCpuSecond'))} | ${target} |`;
  const redisRow = (name: string, rates: Rate[]) =>
    `| ${name} | ${fmt(medianOf(rates, 'perSecond'))} | ${(1e6 / medianOf(rates, 'perCpuSecond')).toFixed(1)} | ${medianOf(rates, 'redisCpuUs').toFixed(1)} | ${(1e6 / medianOf(rates, 'perCpuSecond') + medianOf(rates, 'redisCpuUs')).toFixed(1)} |`;
  const oursTotal = 1e6 / medianOf(red.ours, 'perCpuSecond') + medianOf(red.ours, 'redisCpuUs');
  const theirsTotal = 1e6 / medianOf(red.theirs, 'perCpuSecond') + medianOf(red.theirs, 'redisCpuUs');
  return [
    '### Limiter decisions',
    '',
    'Memory: 2,000,000 decisions over 1,000 keys on one core after a 200,000 warm-up, median of 3 alternating rounds. Per CPU-second is the figure that other load on the machine does not change.',
    '',
    '| memory | decisions/s | per CPU-second | vs rate-limiter-flexible | target |',
    '|---|---:|---:|---:|---|',
    memRow('q2, synchronous (as the gate calls it)', mem.sync, '≥ 1,000,000/s'),
    memRow('q2, `await` on each decision', mem.awaited, '≥ 1,000,000/s'),
    memRow('rate-limiter-flexible `RateLimiterMemory.consume` (awaited)', mem.theirs, ''),
    '',
    'Redis: 100,000 decisions, 64 in flight on one ioredis connection each, Redis 7 on the same machine, median of 5 alternating rounds. CPU per decision: this process (client) and the Redis server (`INFO cpu`), which is where one limiter can be cheaper than the other whatever the machine is doing.',
    '',
    '| Redis | decisions/s | client CPU µs | Redis CPU µs | total CPU µs |',
    '|---|---:|---:|---:|---:|',
    redisRow('q2 token bucket', red.ours),
    redisRow('rate-limiter-flexible `RateLimiterRedis.consume`', red.theirs),
    '',
    `Throughput ratio q2 / rate-limiter-flexible: ${ratio(medianOf(red.ours, 'perSecond'), medianOf(red.theirs, 'perSecond'))} (decisions/s), ${ratio(theirsTotal, oursTotal)} (decisions per CPU-µs, client + server; target ≥ 1×).`,
    '',
    '- q2: `createLimiter(...).decide(key, spec)`: one `StateStore.takeToken`; on Redis one EVALSHA of a script doing GET, PTTL (the key expiry reads the server clock) and, when allowed, SET … PX, with an integer reply when allowed; plus the local refusal-cache lookup.',
    '- rate-limiter-flexible 11: fixed window (its Lua script: SET NX EX, INCRBY, PTTL), no insurance limiter.',
    '',
  ];
}

// ---------------------------------------------------------------- target process

const pingSchema = { response: { 200: { type: 'object', additionalProperties: false, properties: { ok: { type: 'boolean' } } } } } as const;

function benchRoutes(app: Parameters<RouteModule>[0]): void {
  app.get('/v1/bench/ping', { config: { rateLimit: 'read' }, schema: pingSchema }, async () => ({ ok: true }));
  // Stands for expensive work (signature verification, a database round trip): ~2 ms of CPU.
  app.get('/v1/bench/work', { config: { rateLimit: 'read' }, schema: pingSchema }, async () => {
    const end = performance.now() + 2;
    while (performance.now() < end) { /* burn */ }
    return { ok: true };
  });
}

async function serveTarget(mode: string): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'q2-bench-net-'));
  const config = loadConfig({ Q2_DATA_DIR: dataDir, Q2_TRUST_PROXY: '127.0.0.1/32' }, dataDir);
  const logger = pino({ level: 'warn' });
  const db = await createDatabase(`sqlite:${path.join(dataDir, 'q2.db')}`);
  await db.migrate();
  const state = createMemoryStateStore({ clock: systemClock, maxKeys: 1_000_000 });
  const registry = new Registry();
  const core = { config, clock: systemClock, logger, db, state, events: createSecurityEventBus({ clock: systemClock }), metrics: registry } as unknown as PlatformCore;
  // The cost run must measure a decision per request, not refusals: a limit nobody reaches.
  const overrides: NetworkConfigOverrides = mode === 'network' ? { classes: { read: { perIp: { limit: 1_000_000_000, windowMs: 60_000 } } } } : {};
  const network = mode === 'bare' ? null : await createNetworkCapability(core, { config: overrides });
  const app = await buildApp({
    server: config.server, logger, registry, probes: [],
    onRequest: network?.onRequest ? [network.onRequest] : [],
    routes: [...(network?.routes ?? []), benchRoutes],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  // A normal exit on SIGTERM, so --cpu-prof and similar tooling can write their output.
  process.once('SIGTERM', () => process.exit(0));
  process.stdout.write(`ready ${(app.server.address() as net.AddressInfo).port}\n`);
}

async function startTarget(mode: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(SELF, ['target', mode], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      const m = /ready (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`target ${mode} exited ${code}`)));
  });
  return { child, port };
}

// ---------------------------------------------------------------- 2. layer cost

/** CPU time (user + system) a process has used so far, ms, from /proc (Linux). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
}

async function benchLayerCost(): Promise<string[]> {
  const rps: Record<string, number[]> = { bare: [], network: [] };
  const perCpu: Record<string, number[]> = { bare: [], network: [] };
  for (let round = 0; round < 3; round++) {
    for (const mode of ['bare', 'network']) {
      const { child, port } = await startTarget(mode);
      try {
        const url = `http://127.0.0.1:${port}/v1/bench/ping`;
        await autocannon({ url, connections: 32, duration: 2 });
        const cpu0 = processCpuMs(child.pid!);
        const r = await autocannon({ url, connections: 32, duration: SECONDS });
        const cpuMs = processCpuMs(child.pid!) - cpu0;
        rps[mode]!.push(r.requests.average);
        perCpu[mode]!.push(r.requests.total / (cpuMs / 1000));
      } finally {
        child.kill('SIGTERM');
      }
    }
  }
  const cost = (bare: number, layer: number) => `${(((bare - layer) / bare) * 100).toFixed(1)}%`;
  const bare = median(rps.bare!);
  const withLayer = median(rps.network!);
  const bareCpu = median(perCpu.bare!);
  const layerCpu = median(perCpu.network!);
  return [
    '### Cost of the network layer on a route',
    '',
    `GET /v1/bench/ping over plain HTTP, autocannon 32 connections, ${SECONDS} s after a 2 s warm-up, median of 3 alternating rounds; each target in its own process (platform app without other capabilities). Requests per server CPU-second (from /proc) is the figure other load on the machine does not change.`,
    '',
    '| target | requests/s | cost | requests per server CPU-second | cost | target |',
    '|---|---:|---:|---:|---:|---|',
    `| app without the network layer | ${fmt(bare)} | | ${fmt(bareCpu)} | | |`,
    `| app with the network layer (memory store) | ${fmt(withLayer)} | ${cost(bare, withLayer)} | ${fmt(layerCpu)} | ${cost(bareCpu, layerCpu)} | ≤ 10% |`,
    '',
    `Rounds (requests per CPU-second): without ${perCpu.bare!.map(fmt).join(', ')}; with ${perCpu.network!.map(fmt).join(', ')}.`,
    '',
    'The layer per request: IP rule match, shedding check, risk-tier lookup, one synchronous token-bucket decision, three `RateLimit-*` headers, the per-route principal check (no principal here), connection accounting.',
    '',
  ];
}

// ---------------------------------------------------------------- 3. flood

interface Probe { ok: number; total: number; latencies: number[]; codes: Map<number, number> }

/**
 * One request every `everyMs` until `until()` holds; resolves once the last request in flight
 * has its answer (or its timeout), so every request sent is counted, the slow ones included.
 */
function probeLoop(port: number, urlPath: string, ip: string, everyMs: number, timeoutMs: number, until: () => boolean): Promise<Probe & { firstOkAfter(t: number): number | null; log: [number, boolean][] }> {
  const result = { ok: 0, total: 0, latencies: [] as number[], codes: new Map<number, number>(), log: [] as [number, boolean][] };
  let inFlight = 0;
  let sending = true;
  return new Promise((resolve) => {
    const finish = () => {
      if (sending || inFlight > 0) return;
      resolve({ ...result, firstOkAfter: (t) => result.log.filter(([at, ok]) => at >= t && ok).map(([at]) => at).sort((a, b) => a - b)[0] ?? null });
    };
    const record = (started: number, status: number) => {
      const ok = status === 200;
      result.total++;
      if (ok) result.ok++;
      result.codes.set(status, (result.codes.get(status) ?? 0) + 1);
      if (status !== 0) result.latencies.push(performance.now() - started);
      result.log.push([started, ok]);
      inFlight--;
      finish();
    };
    const tick = () => {
      if (until()) {
        sending = false;
        finish();
        return;
      }
      const started = performance.now();
      inFlight++;
      let settled = false;
      const settle = (status: number) => {
        if (settled) return;
        settled = true;
        record(started, status);
      };
      const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, headers: { 'x-forwarded-for': ip }, timeout: timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => settle(res.statusCode ?? 0));
        res.on('error', () => settle(0));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => settle(0));
      setTimeout(tick, everyMs);
    };
    tick();
  });
}

export interface FloodFigures {
  capacityRps: number;
  attackRps: number;
  attackCodes: Record<string, number>;
  legit: { ok: number; total: number; p50: number; p99: number };
  /** `shed`: probes answered 503 (a health route must never be shed). */
  health: { ok: number; total: number; p99: number; shed: number };
  recoveryMs: number | null;
}

interface AttackResult { rps: number; codes: Record<string, number> }

/** The attacker: autocannon in its own process, so its event loop never delays the probes. */
async function attack(port: number, seconds: number, connections: number): Promise<AttackResult> {
  const bot = () => `100.${64 + Math.floor(Math.random() * 2)}.${Math.floor(Math.random() * 10)}.${Math.floor(Math.random() * 10)}`;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/v1/bench/work`, connections, duration: seconds, timeout: 5,
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'x-forwarded-for': bot() } }) }],
  } as autocannon.Options);
  const codes: Record<string, number> = {};
  for (const [k, v] of Object.entries(result.statusCodeStats ?? {})) codes[k] = (v as { count: number }).count;
  return { rps: result.requests.average, codes };
}

function forkAttack(script: string, port: number, seconds: number, connections: number): Promise<AttackResult> {
  return new Promise((resolve, reject) => {
    const child = fork(script, ['attack', String(port), String(seconds), String(connections)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (message) => resolve(message as AttackResult));
    child.once('exit', (code) => { if (code !== 0) reject(new Error(`attacker exited ${code}`)); });
  });
}

/**
 * Runs the flood against a `flood` target; exported for the attack test, which passes the
 * compiled bench module as `script` (the attacker process runs from it).
 */
export async function runFlood(port: number, seconds: number, connections = 256, script = SELF): Promise<FloodFigures> {
  const work = `http://127.0.0.1:${port}/v1/bench/work`;
  const capacity = await autocannon({ url: work, connections: 4, duration: Math.max(2, Math.round(seconds / 2)), headers: { 'x-forwarded-for': '198.18.0.1' } });
  let flooding = true;
  let stopAt = Infinity;
  const stopped = () => !flooding && performance.now() > stopAt + 2_000;
  const legit = probeLoop(port, '/v1/bench/work', '192.0.2.10', 100, 3_000, stopped);
  const health = probeLoop(port, '/healthz', '192.0.2.11', 100, 2_000, stopped);
  const attackResult = await forkAttack(script, port, seconds, connections);
  flooding = false;
  stopAt = performance.now();
  const [l, h] = await Promise.all([legit, health]);
  const during = (log: [number, boolean][]) => log.filter(([t]) => t < stopAt);
  const legitDuring = during(l.log);
  const healthDuring = during(h.log);
  const first = l.firstOkAfter(stopAt);
  return {
    capacityRps: capacity.requests.average,
    attackRps: attackResult.rps,
    attackCodes: attackResult.codes,
    legit: { ok: legitDuring.filter(([, ok]) => ok).length, total: legitDuring.length, p50: pct(l.latencies, 50), p99: pct(l.latencies, 99) },
    health: { ok: healthDuring.filter(([, ok]) => ok).length, total: healthDuring.length, p99: pct(h.latencies, 99), shed: h.codes.get(503) ?? 0 },
    recoveryMs: first === null ? null : first - stopAt,
  };
}

async function benchFlood(): Promise<string[]> {
  const { child, port } = await startTarget('flood');
  let f: FloodFigures;
  try {
    f = await runFlood(port, SECONDS);
  } finally {
    child.kill('SIGTERM');
  }
  const codes = Object.entries(f.attackCodes).map(([k, v]) => `${k}: ${fmt(v)}`).join(', ');
  return [
    '### Flood',
    '',
    `GET /v1/bench/work (≈ 2 ms of CPU per request: the expensive work the layer protects) on one process over plain HTTP. Capacity measured first with 4 connections. Attack: autocannon in its own process, 256 connections for ${SECONDS} s, each request from one of 200 addresses (X-Forwarded-For via a trusted proxy), so per-address limits alone do not stop it. During the attack a legitimate client sends 10 requests/s to the same route and a probe polls /healthz 10 times/s (timeouts 3 s / 2 s count as failures).`,
    '',
    '| measure | value |',
    '|---|---:|',
    `| route capacity (requests/s) | ${fmt(f.capacityRps)} |`,
    `| attack answers/s (all statuses) | ${fmt(f.attackRps)} (${(f.attackRps / f.capacityRps).toFixed(1)}× capacity) |`,
    `| attack answers by status | ${codes} |`,
    `| legitimate client success during the attack | ${f.legit.ok}/${f.legit.total} (${((1 - f.legit.ok / Math.max(1, f.legit.total)) * 100).toFixed(0)}% errors) |`,
    `| legitimate client latency p50 / p99 (ms) | ${f.legit.p50.toFixed(0)} / ${f.legit.p99.toFixed(0)} |`,
    `| /healthz success during the attack | ${f.health.ok}/${f.health.total} |`,
    `| /healthz latency p99 (ms) | ${f.health.p99.toFixed(0)} |`,
    `| first legitimate success after the attack stopped (ms) | ${f.recoveryMs === null ? 'none' : f.recoveryMs.toFixed(0)} |`,
    '',
  ];
}

// ---------------------------------------------------------------- 4. slowloris

export interface SlowlorisFigures {
  attempted: number;
  accepted: number;
  refusedAtOnce: number;
  droppedByDeadline: number;
  longestOpenMs: number;
  legit: { ok: number; total: number; p99: number };
}

/** Opens `perAddress` connections from each of `addresses` loopback sources, trickling one header byte per second. */
export async function runSlowloris(port: number, addresses: string[], perAddress: number, holdMs: number): Promise<SlowlorisFigures> {
  const figures = { attempted: 0, accepted: 0, refusedAtOnce: 0, droppedByDeadline: 0, longestOpenMs: 0 };
  const sockets: net.Socket[] = [];
  const closings: Promise<void>[] = [];
  let attacking = true;
  for (const localAddress of addresses) {
    for (let i = 0; i < perAddress; i++) {
      figures.attempted++;
      const opened = performance.now();
      const socket = net.connect({ host: '127.0.0.1', port, localAddress });
      sockets.push(socket);
      const header = Buffer.from('GET /v1/bench/ping HTTP/1.1\r\nHost: x\r\nX-Pad: ' + 'a'.repeat(64));
      let sent = 0;
      let timer: NodeJS.Timeout | undefined;
      socket.on('error', () => undefined);
      closings.push(new Promise((resolve) => socket.once('close', () => {
        clearInterval(timer);
        const open = performance.now() - opened;
        if (sent <= 1 && open < 500) figures.refusedAtOnce++;
        else {
          figures.accepted++;
          if (attacking) figures.droppedByDeadline++;
          figures.longestOpenMs = Math.max(figures.longestOpenMs, open);
        }
        resolve();
      })));
      socket.once('connect', () => {
        socket.write(header.subarray(0, ++sent));
        timer = setInterval(() => { if (sent < header.length) socket.write(header.subarray(sent, ++sent)); }, 1_000);
      });
    }
  }
  const legit = probeLoop(port, '/v1/bench/ping', '192.0.2.20', 100, 2_000, () => !attacking);
  await new Promise((resolve) => setTimeout(resolve, holdMs));
  attacking = false;
  const l = await legit;
  for (const s of sockets) s.destroy();
  await Promise.all(closings);
  return { ...figures, legit: { ok: l.ok, total: l.total, p99: pct(l.latencies, 99) } };
}

async function benchSlowloris(): Promise<string[]> {
  const { child, port } = await startTarget('flood');
  const addresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
  let f: SlowlorisFigures;
  try {
    f = await runSlowloris(port, addresses, 100, 15_000);
  } finally {
    child.kill('SIGTERM');
  }
  return [
    '### Slowloris',
    '',
    `${f.attempted} connections from ${addresses.length} loopback addresses (${f.attempted / addresses.length} each), each sending its request headers one byte per second, held 15 s; a legitimate client polls a route 10 times/s throughout. Defaults: 64 connections per address, 10 s from accept to complete first headers.`,
    '',
    '| measure | value |',
    '|---|---:|',
    `| connections closed at once (over the per-address cap) | ${f.refusedAtOnce} |`,
    `| connections accepted | ${f.accepted} (cap: ${64 * addresses.length}) |`,
    `| accepted ones dropped by the header deadline | ${f.droppedByDeadline} |`,
    `| longest a slow connection stayed open (ms) | ${f.longestOpenMs.toFixed(0)} |`,
    `| legitimate client success during the attack | ${f.legit.ok}/${f.legit.total}, p99 ${f.legit.p99.toFixed(0)} ms |`,
    '',
  ];
}

// ---------------------------------------------------------------- entry points

export async function benchNetwork(): Promise<string> {
  const lines = [
    '## Network protection',
    '',
    `Command: \`npm run build && node dist/bench/network.js\` (needs Redis at Q2_TEST_REDIS_URL, default redis://127.0.0.1:6379; BENCH_DURATION_S=${SECONDS}).`,
    '',
    ...(await benchDecisions()),
    ...(await benchLayerCost()),
    ...(await benchFlood()),
    ...(await benchSlowloris()),
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv[2] === 'target') {
    serveTarget(process.argv[3] ?? 'network').catch((e: unknown) => { console.error(e); process.exit(1); });
  } else if (process.argv[2] === 'attack') {
    const [port, seconds, connections] = process.argv.slice(3).map(Number);
    attack(port!, seconds!, connections!).then((result) => process.send?.(result, () => process.exit(0)), (e: unknown) => { console.error(e); process.exit(1); });
  } else {
    benchNetwork().then((md) => process.stdout.write(`${md}\n`), (e: unknown) => { console.error(e); process.exitCode = 1; });
  }
}
