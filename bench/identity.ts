/**
 * Identity costs: (1) JWT verifications per second on one core, through the module's verifier
 * and against raw jose and raw node:crypto Ed25519 in the same run; (2) an authenticated route
 * (JWT verify + denylist/not-before/session checks) against the same route unauthenticated;
 * (3) event-loop delay p99 while 50 Argon2id logins hash concurrently.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { jwtVerify } from 'jose';
import { loadConfig } from '../src/lib/config/index.js';
import { createLogger } from '../src/lib/log/index.js';
import { openCore } from '../src/server/core.js';
import type { Identity } from '../src/modules/identity/capability.js';
import { createPasswordHasher } from '../src/modules/identity/passwords/hasher.js';
import { CONNECTIONS, DURATION_S, ROUNDS, measure, startTarget, summarise, type Sample } from './load.js';

async function opsPerSecond(fn: () => Promise<unknown> | unknown, ms = 2_000): Promise<number> {
  for (let i = 0; i < 2_000; i++) await fn(); // warm-up
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    for (let i = 0; i < 200; i++) await fn();
    n += 200;
  }
  return n / ((performance.now() - start) / 1000);
}

async function jwtVerifyRates(): Promise<string[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'q2-bench-id-'));
  const opened = await openCore(loadConfig({ Q2_DATA_DIR: dataDir }, dataDir), { logger: createLogger('silent'), collectProcessMetrics: false });
  try {
    const { identity } = opened.capabilities.find((c) => c.name === 'identity') as unknown as { identity: Identity };
    const { token } = await identity.tokens.issue({ userId: 'u', sessionId: 's', amr: ['pwd'], authTimeMs: Date.now(), roles: ['trader'] });
    const key = await identity.keys.verificationKey(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid);
    const ours = await opsPerSecond(() => identity.tokens.verify(token));
    const jose = await opsPerSecond(() => jwtVerify(token, key!, { algorithms: ['EdDSA'] }));
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const message = Buffer.from(token.split('.').slice(0, 2).join('.'));
    const signature = sign(null, message, privateKey);
    const raw = await opsPerSecond(() => verify(null, message, publicKey, signature));
    return [
      '| verifier | verifications/s (1 core) | vs raw Ed25519 |',
      '|---|---:|---:|',
      `| raw node:crypto Ed25519 verify (same bytes) | ${Math.round(raw)} | 100% |`,
      `| jose jwtVerify (algorithm pinned) | ${Math.round(jose)} | ${((jose / raw) * 100).toFixed(1)}% |`,
      `| Q2 AccessTokenService.verify (header checks, kid lookup, iss/aud/typ, claim shape) | ${Math.round(ours)} | ${((ours / raw) * 100).toFixed(1)}% |`,
    ];
  } finally {
    await opened.close();
  }
}

async function authenticatedVsOpen(): Promise<string[]> {
  const open: Sample[] = [];
  const authed: Sample[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { child, port, token } = await startTarget('stack-auth');
    try {
      open.push(await measure(`http://127.0.0.1:${port}/v1/bench/ping`, {}, child));
      authed.push(await measure(`http://127.0.0.1:${port}/v1/bench/private`, { authorization: `Bearer ${token}` }, child));
    } finally {
      child.kill('SIGTERM');
    }
  }
  const o = summarise(open);
  const a = summarise(authed);
  return [
    `Same server process, autocannon ${CONNECTIONS} connections, ${DURATION_S} s per sample, median of ${ROUNDS} rounds; in-process state store.`,
    '',
    '| route | requests/s | p50 ms | p99 ms | errors | cost | requests per server CPU-second | cost |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    `| unauthenticated | ${Math.round(o.rps)} | ${o.p50} | ${o.p99} | ${o.errors} | — | ${Math.round(o.perCpuSecond)} | — |`,
    `| bearer JWT + revocation checks | ${Math.round(a.rps)} | ${a.p50} | ${a.p99} | ${a.errors} | ${((1 - a.rps / o.rps) * 100).toFixed(1)}% | ${Math.round(a.perCpuSecond)} | ${((1 - a.perCpuSecond / o.perCpuSecond) * 100).toFixed(1)}% |`,
  ];
}

async function loopDelayUnderHashing(): Promise<string[]> {
  const hasher = createPasswordHasher();
  const stored = await hasher.hash('bench-Password-4711');
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const start = performance.now();
  await Promise.all(Array.from({ length: 50 }, () => hasher.verify(stored, 'bench-Password-4711')));
  const elapsed = performance.now() - start;
  histogram.disable();
  return [
    '| measure | value |',
    '|---|---:|',
    `| 50 concurrent Argon2id verifications (m=19 MiB, t=3, p=1), wall time | ${Math.round(elapsed)} ms |`,
    `| event-loop delay p99 meanwhile | ${(histogram.percentile(99) / 1e6).toFixed(2)} ms |`,
    `| event-loop delay max meanwhile | ${(histogram.max / 1e6).toFixed(2)} ms |`,
  ];
}

export async function benchIdentity(): Promise<string> {
  return [
    '## Identity',
    '',
    '### JWT verification',
    '',
    ...(await jwtVerifyRates()),
    '',
    '### Authenticated request cost',
    '',
    ...(await authenticatedVsOpen()),
    '',
    '### Event loop while hashing passwords',
    '',
    ...(await loopDelayUnderHashing()),
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchIdentity().then((md) => process.stdout.write(`${md}\n`), (e: unknown) => { console.error(e); process.exitCode = 1; });
}
