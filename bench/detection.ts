/**
 * Detection benchmark (issue 6): security events per second through the rule engine
 * (`detector.observe`) with 20 rules — the 11 default rules plus 9 more of every counting kind
 * over other event types (API keys, withdrawals, MFA, sessions), as a grown rule set would be —
 * on the in-process state store and on Redis, counted per wall second of a sequential loop:
 * the bus feeds the detection subscriber one event at a time, so this is the ceiling of one
 * replica's detection. The event mix is failed logins (rotating addresses/accounts),
 * signature failures, risk rejections and successful logins from located public addresses
 * (so travel / new-country rules and the geolocation cache do real work).
 *
 * Baselines in the same run: the state-store floor (one `slidingWindow` call per event: the
 * cheapest stateful rule without any rule logic), and — with
 * Q2_BENCH_DETECTION_BASELINE=<an older build's dist/src/modules/detection/index.js> — that
 * older engine on 20 rules of the kinds it knows, next to this engine on the same 20 rules.
 * Figures are events per wall second and per process CPU second (the machine is shared: CPU
 * time is what the loop itself cost). A full GC runs before each timed loop.
 *
 * `npm run bench detection` (Q2_BENCH_REDIS_URL adds Redis rows).
 */
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { createManualClock } from '../src/lib/clock/index.js';
import type { SecurityEvent } from '../src/lib/events/index.js';
import { createStateStore } from '../src/lib/state/index.js';
import { createDetector, createGeoipLocator, DEFAULT_RULES, validateRules, type DetectionRule } from '../src/modules/detection/index.js';

const EVENTS = 20_000;
const ROUNDS = 5;

const EXTRA_RULES: DetectionRule[] = [
  { id: 'x.apikey-burst', version: 1, kind: 'threshold', title: 'x', severity: 'low', windowMs: 60_000, match: { types: ['apikey.created'] }, groupBy: 'actor', count: 5 },
  { id: 'x.apikey-ips', version: 1, kind: 'distinct', title: 'x', severity: 'low', windowMs: 60_000, match: { types: ['apikey.auth'], outcomes: ['failure'] }, groupBy: 'target', field: 'ip', count: 10 },
  { id: 'x.withdrawal-burst', version: 1, kind: 'threshold', title: 'x', severity: 'low', windowMs: 3_600_000, match: { types: ['withdrawal.requested'] }, groupBy: 'actor', count: 5 },
  { id: 'x.withdrawal-rejected', version: 1, kind: 'threshold', title: 'x', severity: 'low', windowMs: 600_000, match: { types: ['withdrawal.rejected'] }, groupBy: 'actor', count: 5 },
  { id: 'x.mfa-failures', version: 1, kind: 'threshold', title: 'x', severity: 'low', windowMs: 600_000, match: { types: ['auth.mfa.verify'], outcomes: ['failure'] }, groupBy: 'actor', count: 5 },
  { id: 'x.session-reuse', version: 1, kind: 'single', title: 'x', severity: 'low', windowMs: 600_000, match: { types: ['session.*'], outcomes: ['denied'] }, groupBy: 'actor' },
  { id: 'x.throttled', version: 1, kind: 'threshold', title: 'x', severity: 'low', windowMs: 600_000, match: { types: ['auth.throttled'] }, groupBy: 'ip', count: 50 },
  { id: 'x.kill-switch', version: 1, kind: 'single', title: 'x', severity: 'low', windowMs: 600_000, match: { types: ['trading.kill_switch'] }, groupBy: 'actor' },
  {
    id: 'x.address-then-withdrawal', version: 1, kind: 'sequence', title: 'x', severity: 'low', windowMs: 3_600_000,
    steps: [{ match: { types: ['withdrawal.address.added'] }, groupBy: 'actor' }, { match: { types: ['withdrawal.requested'] }, groupBy: 'actor' }],
  },
];

export const BENCH_RULES = validateRules([...DEFAULT_RULES, ...EXTRA_RULES]);

/** 20 rules of the kinds every engine version knows (threshold, distinct, single, sequence). */
const CLASSIC_RULES = validateRules([
  ...DEFAULT_RULES.filter((r) => r.kind !== 'travel' && r.kind !== 'new-value'), ...EXTRA_RULES,
  ...['a', 'b', 'c'].map((n, i): DetectionRule => ({
    id: `x.login-success-${n}`, version: 1, kind: 'threshold', title: 'x', severity: 'low', windowMs: 600_000,
    match: { types: ['auth.login'], outcomes: ['success'] }, groupBy: (['actor', 'ip', 'details.device'] as const)[i]!, count: 50,
  })),
]);

type DetectorFactory = (deps: { state: Awaited<ReturnType<typeof createStateStore>>; clock: ReturnType<typeof createManualClock>; rules: readonly DetectionRule[] }) =>
  { observe(event: SecurityEvent): Promise<unknown[]> };

/** Public addresses in a few countries (geoip-lite places them far apart), for successful logins. */
const LOCATED = ['81.2.69.142', '89.160.20.128', '202.12.27.33', '200.160.2.3', '193.0.6.139', '8.8.8.8'];

function eventAt(i: number, now: number): SecurityEvent {
  const ip = `198.51.${(i >> 8) & 255}.${i & 255}`;
  const base = { time: now, ip, requestId: `r${i}`, details: {} };
  switch (i % 4) {
    case 0: return { ...base, type: 'auth.login', actor: 'anonymous', target: `user-${i % 997}`, outcome: 'failure', details: { accountKey: `k${i % 1499}` } };
    case 1: return { ...base, type: 'signature.invalid', actor: 'anonymous', target: null, outcome: 'failure' };
    case 2: return { ...base, type: 'risk.rejected', actor: `user-${i % 101}`, target: 'BTC-USD', outcome: 'denied' };
    default: return { ...base, ip: LOCATED[i % LOCATED.length]!, type: 'auth.login', actor: `user-${i % 997}`, target: `user-${i % 997}`, outcome: 'success', details: { device: `d${i % 3}` } };
  }
}

interface Sample { wall: number; cpu: number; alerts: number }

// A full collection before each timed loop, so no row pays for the garbage of the row before it.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

let runs = 0;

async function run(mode: 'rules' | 'floor', rules: readonly DetectionRule[], factory: DetectorFactory, redisUrl?: string): Promise<Sample> {
  const clock = createManualClock();
  // A fresh prefix per run: windows and dedup markers of an earlier run must not carry over on Redis.
  const state = await createStateStore({ clock, keyPrefix: `q2bench:${process.pid}:${++runs}:`, ...(redisUrl ? { redisUrl } : {}) });
  const detector = factory({ state, clock, rules });
  const events = redisUrl ? EVENTS / 4 : EVENTS;
  const input = Array.from({ length: events }, (_, i) => eventAt(i, clock.now()));
  let alerts = 0;
  collectGarbage();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  if (mode === 'rules') {
    for (const event of input) alerts += (await detector.observe(event)).length;
  } else {
    for (const event of input) await state.slidingWindow(`w:${event.ip}`, 60_000, 10);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  await state.close();
  return { wall: Math.round(events / seconds), cpu: Math.round(events / ((used.user + used.system) / 1e6)), alerts };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => n.toLocaleString('en');

export async function benchDetection(): Promise<string> {
  const geo = createGeoipLocator();
  geo.locate('81.2.69.142'); // load the geolocation database outside the timed loops
  const ours: DetectorFactory = (deps) => createDetector({ ...deps, geo });
  const baselinePath = process.env.Q2_BENCH_DETECTION_BASELINE;
  const older = baselinePath ? (await import(baselinePath) as { createDetector: DetectorFactory }).createDetector : null;
  const engines: [string, readonly DetectionRule[], DetectorFactory][] = [
    [`this engine, ${BENCH_RULES.length} rules (defaults + extras)`, BENCH_RULES, ours],
    [`this engine, ${CLASSIC_RULES.length} classic-kind rules`, CLASSIC_RULES, ours],
    ...(older ? [[`baseline: engine before this change, same ${CLASSIC_RULES.length} rules`, CLASSIC_RULES, older] as [string, readonly DetectionRule[], DetectorFactory]] : []),
    ['baseline: one slidingWindow per event (floor)', [], ours],
  ];
  const backends: [string, string | undefined][] = [['memory', undefined]];
  if (process.env.Q2_BENCH_REDIS_URL) backends.push(['Redis (localhost)', process.env.Q2_BENCH_REDIS_URL]);
  const rows: string[] = [];
  for (const [name, url] of backends) {
    const samples = engines.map(() => [] as Sample[]);
    // One discarded warm-up round per engine (JIT), then rounds alternate between engines, so a
    // burst of load on the shared machine hits all of them.
    for (const [label, rules, factory] of engines) await run(label.includes('floor') ? 'floor' : 'rules', rules, factory, url);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [i, [label, rules, factory]] of engines.entries()) samples[i]!.push(await run(label.includes('floor') ? 'floor' : 'rules', rules, factory, url));
    }
    for (const [i, [label]] of engines.entries()) {
      const list = samples[i]!;
      const alerts = label.includes('floor') ? '—' : fmt(list[0]!.alerts);
      rows.push(`| ${name} | ${label} | ${fmt(median(list.map((x) => x.wall)))} | ${fmt(median(list.map((x) => x.cpu)))} | ${list.map((x) => fmt(x.wall)).join(' / ')} | ${alerts} |`);
    }
  }
  return [
    '## Detection rules',
    '',
    `${EVENTS.toLocaleString('en')} events on memory (${(EVENTS / 4).toLocaleString('en')} on Redis) per round, ${ROUNDS} rounds alternating between rows after one discarded warm-up round each.`,
    '',
    '| state store | engine | events/s (median, wall) | events per CPU-second (median) | wall rounds | alerts raised |',
    '|---|---|---:|---:|---|---:|',
    ...rows,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await benchDetection());
