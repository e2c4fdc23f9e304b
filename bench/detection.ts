/**
 * Detection benchmark (issue 6): security events per second through the rule engine
 * (`detector.observe`, all default rules) on the in-process state store and on Redis, counted
 * per wall second of a sequential loop — the bus feeds the detection subscriber one event at a
 * time, so this is the ceiling of one replica's detection. The event mix is failed logins from
 * rotating addresses/accounts, signature failures, risk rejections and successful logins.
 *
 * Run alone: `npm run build && node dist/bench/detection.js` (Q2_BENCH_REDIS_URL adds Redis).
 */
import { fileURLToPath } from 'node:url';

import { createManualClock } from '../src/lib/clock/index.js';
import type { SecurityEvent } from '../src/lib/events/index.js';
import { createStateStore } from '../src/lib/state/index.js';
import { createDetector, DEFAULT_RULES } from '../src/modules/detection/index.js';

const EVENTS = 20_000;

function eventAt(i: number, now: number): SecurityEvent {
  const ip = `198.51.${(i >> 8) & 255}.${i & 255}`;
  const base = { time: now, ip, requestId: `r${i}`, details: {} };
  switch (i % 4) {
    case 0: return { ...base, type: 'auth.login', actor: 'anonymous', target: `user-${i % 997}`, outcome: 'failure' };
    case 1: return { ...base, type: 'signature.invalid', actor: 'anonymous', target: null, outcome: 'failure' };
    case 2: return { ...base, type: 'risk.rejected', actor: `user-${i % 101}`, target: 'BTC-USD', outcome: 'denied' };
    default: return { ...base, type: 'auth.login', actor: `user-${i % 997}`, target: `user-${i % 997}`, outcome: 'success' };
  }
}

export async function benchDetection(redisUrl?: string): Promise<{ backend: string; eventsPerSecond: number; alerts: number }> {
  const clock = createManualClock();
  const state = await createStateStore({ clock, keyPrefix: `q2bench:${process.pid}:`, ...(redisUrl ? { redisUrl } : {}) });
  const detector = createDetector({ state, clock, rules: DEFAULT_RULES });
  const events = redisUrl ? EVENTS / 4 : EVENTS;
  let alerts = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < events; i++) alerts += (await detector.observe(eventAt(i, clock.now()))).length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await state.close();
  return { backend: redisUrl ? 'redis' : 'memory', eventsPerSecond: Math.round(events / seconds), alerts };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await benchDetection());
  const redisUrl = process.env.Q2_BENCH_REDIS_URL;
  if (redisUrl) console.log(await benchDetection(redisUrl));
}
