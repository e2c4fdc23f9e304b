/**
 * A benchmark target process: `node dist/bench/http-target.js bare|stack` serves GET /v1/bench/ping
 * on a free port and prints `ready <port>`. `bare` is a plain Fastify route; `stack` is the full
 * Q2 platform (security headers, request ids, problem errors, access log, metrics, strict
 * validation) with the same route. Both over plain HTTP so only the stack's cost differs; the TLS
 * cost is measured separately by `stack-tls`.
 */
import Fastify from 'fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { loadConfig } from '../src/lib/config/index.js';
import { createPlatform } from '../src/server/platform.js';
import { requireUser } from '../src/server/auth.js';

const pingSchema = {
  response: { 200: { type: 'object', additionalProperties: false, required: ['ok'], properties: { ok: { type: 'boolean' } } } },
} as const;

// The load generator asks for this process's CPU time around a measurement, so results can be
// expressed per server CPU-second: on a 2-core machine the client shares the CPU, and a client
// that saturates first (parsing larger responses) would otherwise be measured instead of the server.
process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});

async function main(mode: string): Promise<void> {
  if (mode === 'bare') {
    const app = Fastify({ logger: false });
    app.get('/v1/bench/ping', { schema: pingSchema }, async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    process.stdout.write(`ready ${(app.server.address() as AddressInfo).port}\n`);
    return;
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'q2-bench-'));
  const config = loadConfig({ Q2_DATA_DIR: dataDir }, dataDir);
  // Real logging at info level into a real file descriptor, as in production (async pino).
  const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'info' }, pino.destination({ dest: path.join(dataDir, 'access.log'), sync: false }));
  // Limits nobody reaches: every request pays for a rate-limit decision, none is refused.
  const unlimited = { perIp: { limit: 1_000_000_000, windowMs: 60_000 }, perAccount: { limit: 1_000_000_000, windowMs: 60_000 } };
  const platform = await createPlatform(config, {
    logger,
    capabilities: { network: { config: { classes: { default: unlimited, auth: unlimited } } } },
    insecureHttp: mode !== 'stack-tls',
    routes: [(app) => {
      app.get('/v1/bench/ping', { schema: pingSchema }, async () => ({ ok: true }));
      // The same handler behind bearer authentication (JWT verify + revocation checks).
      app.get('/v1/bench/private', { schema: pingSchema, preHandler: requireUser() }, async () => ({ ok: true }));
    }],
  });
  await platform.app.listen({ host: '127.0.0.1', port: 0 });
  let token = '';
  if (mode === 'stack-auth') {
    const register = await platform.app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email: 'load.runner@example.test', password: 'Quartz-river-4711-zeta' } });
    if (register.statusCode !== 201) throw new Error(register.body);
    const login = await platform.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'load.runner@example.test', password: 'Quartz-river-4711-zeta' } });
    token = (login.json() as { accessToken: string }).accessToken;
  }
  process.stdout.write(`ready ${(platform.app.server.address() as AddressInfo).port} ${token}\n`);
}

void main(process.argv[2] ?? 'bare');
