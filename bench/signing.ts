/**
 * Signed-request benchmarks (docs/BENCHMARKS.md, "Signed requests (API keys)"):
 * (1) RFC 9421 verification per second on one core through `inspectSignature` +
 *     `verifySignature`, against raw node:crypto on the same bytes;
 * (2) signed limit orders end to end over HTTPS with the client SDK (verification, replay claim,
 *     validation, risk, matching, persistence) against a bare Fastify POST route over HTTPS,
 *     driven by the same SDK load loop. Each server runs in its own process (this file, forked
 *     with `target <mode>`); rounds alternate bare/orders.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { pino } from 'pino';
import { createQ2Client, nodeTransport, signRequest, type Transport, type TransportRequest } from '../src/client/index.js';
import { loadConfig } from '../src/lib/config/index.js';
import { createDatabase } from '../src/lib/db/index.js';
import { requireScope, type ApiKeysCapability } from '../src/modules/apikeys/index.js';
import type { Identity } from '../src/modules/identity/capability.js';
import {
  inspectSignature, q2SignaturePolicy, signingKeyFrom, splitTarget, verifySignature, verifyingKeyFrom, type HttpRequestMessage,
} from '../src/modules/signing/index.js';
import type { TradingCapability } from '../src/modules/trading/index.js';
// The mirror route below must validate and answer exactly like POST /v1/orders.
import { orderSchema, placeOrderBody } from '../src/modules/trading/routes/schemas.js';
import type { PlaceOrderBody } from '../src/modules/trading/orders/service.js';
import { createPlatform } from '../src/server/platform.js';
import { ensureDevelopmentCertificate } from '../src/server/tls.js';
import { CONNECTIONS, median } from './load.js';
import { driveOrders, type OrderLoadResult } from './order-load.js';

const SELF = fileURLToPath(import.meta.url);
const DURATION_MS = Number(process.env.BENCH_DURATION_S ?? 8) * 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** One key per 1/64 of the load keeps every key and account far below its network rate limit. */
const ACCOUNTS = 64;

/** Per account: an ed25519 key (the preferred kind) and an hmac-sha256 key. */
interface BenchKey { keyId: string; privateKeyPem: string; hmacKeyId: string; hmacSecret: string }
interface Ready { port: number; ca: string; keys: BenchKey[] }
/** A measured route, the key kind the client signs with, and whether the signature headers are sent under other names. */
interface Run { route: string; algorithm: 'ed25519' | 'hmac-sha256'; renamed?: boolean }
type Sample = OrderLoadResult;

async function opsPerSecond(fn: () => unknown, ms = 1_500): Promise<number> {
  for (let i = 0; i < 2_000; i++) fn();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    for (let i = 0; i < 500; i++) fn();
    n += 500;
  }
  return n / ((performance.now() - start) / 1000);
}

async function verificationRates(): Promise<string[]> {
  const created = Math.floor(Date.now() / 1000);
  const body = Buffer.from(JSON.stringify({ clientOrderId: 'c-1', symbol: 'BTC-USD', side: 'buy', type: 'limit', quantity: '0.0010', price: '40000.00', timeInForce: 'GTC' }));
  const url = new URL('https://api.q2.test/v1/orders');
  const rows: string[] = ['| algorithm | raw node:crypto verify/s | Q2 inspect + verify/s (parse, policy, digest, base, verify) | vs raw |', '|---|---:|---:|---:|'];
  const secret = randomBytes(32);
  const pair = generateKeyPairSync('ed25519');
  for (const algorithm of ['ed25519', 'hmac-sha256'] as const) {
    const signing = algorithm === 'ed25519' ? signingKeyFrom(algorithm, pair.privateKey) : signingKeyFrom(algorithm, secret);
    const verifying = algorithm === 'ed25519' ? verifyingKeyFrom(algorithm, pair.publicKey.export({ format: 'pem', type: 'spki' })) : verifyingKeyFrom(algorithm, secret);
    const headers = signRequest({ method: 'POST', url, body, keyId: 'k', key: signing, created });
    const message: HttpRequestMessage = { method: 'POST', scheme: 'https', authority: url.host, ...splitTarget(url.pathname), fields: { ...headers }, hasBody: true, body };
    const policy = q2SignaturePolicy();
    const ours = await opsPerSecond(() => {
      const inspection = inspectSignature(message, policy, created * 1000);
      if (!inspection.ok || !verifySignature(inspection.signature, verifying).ok) throw new Error('bench signature must verify');
    });
    const data = Buffer.from('x'.repeat(300));
    const tag = algorithm === 'ed25519' ? sign(null, data, pair.privateKey) : createHmac('sha256', secret).update(data).digest();
    const raw = await opsPerSecond(() => (algorithm === 'ed25519' ? verify(null, data, pair.publicKey, tag) : createHmac('sha256', secret).update(data).digest().equals(tag)));
    rows.push(`| ${algorithm} | ${Math.round(raw)} | ${Math.round(ours)} | ${((ours / raw) * 100).toFixed(1)}% |`);
  }
  return rows;
}

// ---- server side (forked child) ----

async function bareTarget(): Promise<Ready> {
  const tls = await ensureDevelopmentCertificate(mkdtempSync(path.join(tmpdir(), 'q2-bench-bare-')));
  const app = Fastify({ logger: false, https: { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.3' } });
  app.post('/v1/bench/orders', async (_request, reply) => reply.code(201).send({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: (app.server.address() as AddressInfo).port, ca: tls.cert, keys: [] };
}

async function ordersTarget(): Promise<Ready> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'q2-bench-sig-'));
  const config = loadConfig({ Q2_DATA_DIR: dataDir }, dataDir);
  // The load comes from one trading gateway address, allowlisted as an operator would (no per-IP
  // limit); per-account and per-key limits stay on and the load is spread to stay under them.
  const db = await createDatabase(config.storage.databaseUrl);
  await db.migrate();
  await db.kysely.insertInto('network_rules').values({
    id: 'bench-gateway', kind: 'ip', subject: '127.0.0.1/32', action: 'allow', source: 'admin', reason: 'benchmark load generator', created_by: 'bench', created_at: BigInt(Date.now()), expires_at: null,
  }).execute();
  await db.close();
  // Filled in once the platform (and so the trading capability) exists; routes are given before.
  const late: { trading?: TradingCapability['trading'] } = {};
  const platform = await createPlatform(config, {
    logger: pino({ level: 'info' }, pino.destination({ dest: path.join(dataDir, 'access.log'), sync: false })),
    routes: [(app) => {
      // The platform alone (unsigned, unauthenticated): the baseline the signature check adds to.
      app.post('/v1/bench/open', {
        config: { rateLimit: 'trading' },
        schema: { body: placeOrderBody, response: { 201: { type: 'object', additionalProperties: false, required: ['ok'], properties: { ok: { type: 'boolean' } } } } },
      }, async (_request, reply) => reply.code(201).send({ ok: true }));
      // The platform and signature verification alone: same body validation, no trading work.
      app.post('/v1/bench/signed', {
        config: { rateLimit: 'trading' }, preHandler: requireScope('trade'),
        schema: { body: placeOrderBody, response: { 201: { type: 'object', additionalProperties: false, required: ['ok'], properties: { ok: { type: 'boolean' } } } } },
      }, async (_request, reply) => reply.code(201).send({ ok: true }));
      // POST /v1/orders' own guard does not opt in to API keys yet (docs/apikeys.md): same schema, service and answer, behind requireScope.
      app.post<{ Body: PlaceOrderBody }>('/v1/bench/orders', {
        config: { rateLimit: 'trading' }, preHandler: requireScope('trade'), schema: { body: placeOrderBody, response: { 201: orderSchema } },
      }, async (request, reply) => {
        const principal = request.principal!;
        const order = await late.trading!.orders.placeOrder(principal.userId, request.body, { actor: `apikey:${principal.apiKeyId}`, ip: request.ip, requestId: request.id });
        return reply.code(201).send(order);
      });
    }],
  });
  const find = <T>(name: string) => platform.capabilities.find((c) => c.name === name) as unknown as T;
  const trading = find<TradingCapability>('trading').trading;
  late.trading = trading;
  const { identity } = find<{ identity: Identity }>('identity');
  const apikeys = find<ApiKeysCapability>('apikeys');
  const ctx = { actor: 'bench', ip: null, requestId: null };
  await trading.admin.setReferencePrice('BTC-USD', '40000.00', ctx);
  const keys: Ready['keys'] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const user = await identity.users.create({ email: `bench-${i}@example.test`, passwordHash: 'not-a-login-account', roles: ['trader'] });
    if (!user) throw new Error('bench user creation failed');
    await trading.admin.deposit(user.id, { asset: 'USD', amount: '100000000', reason: 'bench', depositId: `bench-usd-${i}` }, ctx);
    await trading.admin.deposit(user.id, { asset: 'BTC', amount: '10000', reason: 'bench', depositId: `bench-btc-${i}` }, ctx);
    await trading.admin.setRiskLimits(user.id, { maxOrdersPerSecond: 100_000 }, ctx);
    const pair = generateKeyPairSync('ed25519');
    const key = await apikeys.service.create(user.id, {
      label: 'bench', scopes: ['trade'], ipAllowlist: ['127.0.0.1/32'], algorithm: 'ed25519', publicKey: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    }, { ip: null, requestId: null });
    const hmac = await apikeys.service.create(user.id, { label: 'bench hmac', scopes: ['trade'], ipAllowlist: ['127.0.0.1/32'], algorithm: 'hmac-sha256' }, { ip: null, requestId: null });
    keys.push({ keyId: key.keyId, privateKeyPem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), hmacKeyId: hmac.keyId, hmacSecret: hmac.secret ?? '' });
  }
  await platform.app.listen({ host: '127.0.0.1', port: 0 });
  const ca = (await ensureDevelopmentCertificate(dataDir)).cert;
  return { port: (platform.app.server.address() as AddressInfo).port, ca, keys };
}

// ---- load side ----

function startTarget(mode: 'bare' | 'orders'): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(SELF, ['target', mode], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (ready) => resolve({ child, ready: ready as Ready }));
    child.once('exit', (code) => reject(new Error(`signing target ${mode} exited ${code}`)));
  });
}


/** Starts a target and measures each run in turn (same process, same keys). */
async function sample(mode: 'bare' | 'orders', runs: readonly Run[]): Promise<Sample[]> {
  const { child, ready } = await startTarget(mode);
  try {
    // Bare gets keys too, so the load loop does identical client work (signing) against every target.
    const keys: BenchKey[] = ready.keys.length > 0 ? ready.keys : Array.from({ length: ACCOUNTS }, () => ({
      keyId: randomBytes(16).toString('hex'), privateKeyPem: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      hmacKeyId: randomBytes(16).toString('hex'), hmacSecret: randomBytes(32).toString('base64'),
    }));
    const clientsFor = (run: Run) => keys.map((k) => {
      const transport = nodeTransport({ ca: ready.ca, maxSockets: 1 });
      // The unsigned baseline: same client work, but the server sees no signature headers.
      const send: Transport = !run.renamed ? transport : Object.assign(
        (request: TransportRequest) => {
          const { signature, 'signature-input': input, ...headers } = request.headers;
          return transport({ ...request, headers: { ...headers, 'x-unused-signature': `${signature}`, 'x-unused-signature-input': `${input}` } });
        },
        { close: () => transport.close?.() },
      );
      return createQ2Client({
        baseUrl: `https://127.0.0.1:${ready.port}`, transport: send, retry: { attempts: 1 },
        credentials: run.algorithm === 'ed25519'
          ? { kind: 'apikey', keyId: k.keyId, algorithm: 'ed25519', privateKey: k.privateKeyPem }
          : { kind: 'apikey', keyId: k.hmacKeyId, algorithm: 'hmac-sha256', secret: k.hmacSecret },
      });
    });
    const results: Sample[] = [];
    for (const run of runs) {
      const clients = clientsFor(run);
      await driveOrders(clients, run.route, 2_000); // warm-up: JIT, TLS sessions, caches; not measured
      results.push(await driveOrders(clients, run.route, DURATION_MS));
      for (const c of clients) c.close();
    }
    return results;
  } finally {
    child.kill('SIGTERM');
  }
}

export async function benchSigning(): Promise<string> {
  const verification = await verificationRates();
  const rows = ['bare', 'open', 'signed', 'signedHmac', 'orders'] as const;
  const runs = Object.fromEntries(rows.map((r) => [r, [] as Sample[]])) as Record<(typeof rows)[number], Sample[]>;
  for (let round = 0; round < ROUNDS; round++) {
    runs.bare.push(...await sample('bare', [{ route: '/v1/bench/orders', algorithm: 'ed25519' }]));
    const [open, signed, signedHmac, orders] = await sample('orders', [
      { route: '/v1/bench/open', algorithm: 'ed25519', renamed: true },
      { route: '/v1/bench/signed', algorithm: 'ed25519' },
      { route: '/v1/bench/signed', algorithm: 'hmac-sha256' },
      { route: '/v1/bench/orders', algorithm: 'ed25519' },
    ]);
    runs.open.push(open!);
    runs.signed.push(signed!);
    runs.signedHmac.push(signedHmac!);
    runs.orders.push(orders!);
  }
  const summary = (xs: Sample[]): Sample => ({
    rps: median(xs.map((s) => s.rps)), p50: median(xs.map((s) => s.p50)), p99: median(xs.map((s) => s.p99)), errors: xs.reduce((n, s) => n + s.errors, 0),
    codes: xs.reduce<Record<string, number>>((all, s) => { for (const [c, n] of Object.entries(s.codes)) all[c] = (all[c] ?? 0) + n; return all; }, {}),
  });
  const codesOf = (s: Sample) => (s.errors === 0 ? '0' : `${s.errors} (${Object.entries(s.codes).map(([c, n]) => `${c} ${n}`).join(', ')})`);
  const bare = summary(runs.bare);
  const open = summary(runs.open);
  const signed = summary(runs.signed);
  const signedHmac = summary(runs.signedHmac);
  const orders = summary(runs.orders);
  const ratio = (orders.rps / bare.rps) * 100;
  return [
    '## Signed requests (API keys)',
    '',
    'Command: `npm run build && node dist/bench/signing.js` (source `bench/signing.ts`; `npm run bench signing` once it is listed in bench/run.ts). SQLite, in-process state store, real logging to a file, TLS 1.3.',
    '',
    '### RFC 9421 verification (one core)',
    '',
    ...verification,
    '',
    '### Signed limit orders end to end over HTTPS',
    '',
    `SDK load loop: ${CONNECTIONS} concurrent requests over TLS 1.3 keep-alive, ${ACCOUNTS} accounts with one key each of the row's algorithm, ${DURATION_MS / 1000} s per sample after a 2 s warm-up, median of ${ROUNDS} alternating rounds. The client signs every request (new nonce, Content-Digest) with ed25519 unless the row says otherwise; for the unsigned baseline the signature headers are renamed before sending, so client work is the same as in the bare and ed25519 rows.`,
    '',
    '| target | orders/s | p50 ms | p99 ms | errors | vs bare |',
    '|---|---:|---:|---:|---:|---:|',
    `| bare Fastify POST route (HTTPS, no hooks, no logging) | ${Math.round(bare.rps)} | ${bare.p50} | ${bare.p99} | ${codesOf(bare)} | 100% |`,
    `| Q2 platform, unsigned request to a no-op route (TLS, network gates, body validation, access log) | ${Math.round(open.rps)} | ${open.p50} | ${open.p99} | ${codesOf(open)} | ${((open.rps / bare.rps) * 100).toFixed(1)}% |`,
    `| Q2 platform, ed25519-signed request to a no-op route (the same plus RFC 9421 verification, replay claim, revocation marker, scope) | ${Math.round(signed.rps)} | ${signed.p50} | ${signed.p99} | ${codesOf(signed)} | ${((signed.rps / bare.rps) * 100).toFixed(1)}% |`,
    `| Q2 platform, hmac-sha256-signed request to a no-op route (client signs with HMAC) | ${Math.round(signedHmac.rps)} | ${signedHmac.p50} | ${signedHmac.p99} | ${codesOf(signedHmac)} | ${((signedHmac.rps / bare.rps) * 100).toFixed(1)}% |`,
    `| Q2: signed order → verification, replay claim, scope, validation, risk, matching, SQLite persistence, audit events | ${Math.round(orders.rps)} | ${orders.p50} | ${orders.p99} | ${codesOf(orders)} | ${ratio.toFixed(1)}% |`,
    '',
    `Target ≥ 50% of bare: ${ratio >= 50 ? 'met' : 'not met'} (${ratio.toFixed(1)}%).`,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const mode = process.argv[3];
  if (process.argv[2] === 'target' && (mode === 'bare' || mode === 'orders')) {
    (mode === 'bare' ? bareTarget() : ordersTarget()).then((ready) => process.send?.(ready), (e: unknown) => { console.error(e); process.exit(1); });
  } else {
    benchSigning().then((md) => process.stdout.write(`${md}\n`), (e: unknown) => { console.error(e); process.exitCode = 1; });
  }
}
