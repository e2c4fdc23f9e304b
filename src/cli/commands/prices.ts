/**
 * `q2 prices keygen|register|simulate` — a signed-price feed simulator for demos and load tests
 * (issue 8). Keys are Ed25519 (node:crypto), one PKCS#8 file per source, mode 0600:
 *
 *   q2 prices keygen --dir feeds --sources 5            # feeds/sim-1.key … + registration bodies
 *   q2 prices register --dir feeds --symbol BTC-USD --min 1000 --max 1000000 --decimals 2
 *   q2 prices simulate --dir feeds --symbol BTC-USD --price 60000 --url https://127.0.0.1:8443
 *
 * `register` writes to the local platform (Q2_* environment) through the market-data admin
 * service, audited with actor `cli`; against a remote deployment POST the bodies `keygen`
 * prints to /v1/admin/price-sources instead. `simulate` verifies TLS against `--ca` (default:
 * the development certificate in Q2_DATA_DIR) and never disables verification.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createFeedSimulator, type MarketDataCapability, type SignedPriceUpdate } from '../../modules/marketdata/index.js';
import { openCore } from '../../server/core.js';
import { loadCliContext } from '../context.js';
import type { CliCommand, CliIo } from '../types.js';

const USAGE = 'q2: usage: q2 prices keygen|register|simulate --dir <d> [options] (see docs/marketdata.md)';
const SOURCE_FILE = /^([a-z0-9][a-z0-9._-]{0,63})\.key$/;

async function loadKeys(dir: string): Promise<{ sourceId: string; privateKey: KeyObject }[]> {
  const names = (await readdir(dir)).filter((n) => SOURCE_FILE.test(n)).sort();
  return Promise.all(names.map(async (name) => ({
    sourceId: (SOURCE_FILE.exec(name) as RegExpExecArray)[1] as string,
    privateKey: createPrivateKey(await readFile(path.join(dir, name), 'utf8')),
  })));
}

const publicPem = (key: KeyObject) => createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString();

async function keygen(values: Record<string, string | string[] | undefined>, io: CliIo): Promise<number> {
  const dir = values.dir as string;
  const count = Number(values.sources ?? '5');
  const prefix = (values.prefix as string | undefined) ?? 'sim';
  if (!Number.isInteger(count) || count < 1 || count > 64) return fail(io, '--sources must be 1..64');
  if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(prefix)) return fail(io, '--prefix must be lower-case letters, digits and dashes');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const symbols = (values.symbol as string[] | undefined) ?? ['BTC-USD'];
  for (let i = 1; i <= count; i++) {
    const sourceId = `${prefix}-${i}`;
    const file = path.join(dir, `${sourceId}.key`);
    let privateKey: KeyObject;
    if (existsSync(file)) {
      privateKey = createPrivateKey(await readFile(file, 'utf8'));
    } else {
      privateKey = generateKeyPairSync('ed25519').privateKey;
      await writeFile(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
    }
    io.stdout.write(`${JSON.stringify({ sourceId, publicKey: publicPem(privateKey), symbols })}\n`);
  }
  return 0;
}

async function register(values: Record<string, string | string[] | undefined>, io: CliIo): Promise<number> {
  const symbols = (values.symbol as string[] | undefined) ?? [];
  if (symbols.length === 0) return fail(io, '--symbol is required');
  const keys = await loadKeys(values.dir as string);
  if (keys.length === 0) return fail(io, `no <source>.key files in ${String(values.dir)}`);
  const ctx = loadCliContext(io, 'warn');
  if (!ctx) return 1;
  const opened = await openCore(ctx.config, { logger: ctx.logger, collectProcessMetrics: false });
  try {
    const { marketData } = opened.capabilities.find((c) => c.name === 'marketdata') as MarketDataCapability;
    const who = { actor: 'cli' };
    if (values.min !== undefined || values.max !== undefined) {
      for (const symbol of symbols) {
        const result = await marketData.admin.configureSymbol(symbol, {
          minPrice: String(values.min), maxPrice: String(values.max),
          ...(values.decimals ? { priceDecimals: Number(values.decimals) } : {}), ...(values.quorum ? { quorum: Number(values.quorum) } : {}),
        }, who);
        if (!result.ok) return fail(io, `${symbol}: ${result.detail}`);
        io.stdout.write(`configured ${symbol} (policy version ${result.version})\n`);
      }
    }
    for (const { sourceId, privateKey } of keys) {
      const result = await marketData.admin.registerSource({ sourceId, publicKey: publicPem(privateKey), symbols }, who);
      if (result.ok) io.stdout.write(`registered ${sourceId} for ${symbols.join(', ')} (key ${result.source.keyFingerprint.slice(0, 16)}…)\n`);
      else if (result.code === 'PRICE_SOURCE_EXISTS') io.stdout.write(`${sourceId} already registered\n`);
      else return fail(io, `${sourceId}: ${result.detail}`);
    }
    return 0;
  } finally {
    await opened.close();
  }
}

function poster(base: URL, ca: string | undefined) {
  const agent = base.protocol === 'https:' ? new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) }) : new http.Agent({ keepAlive: true });
  const client = base.protocol === 'https:' ? https : http;
  const target = new URL('/v1/market-data/prices', base);
  const post = (update: SignedPriceUpdate) => new Promise<{ status: number; code: string | null }>((resolve, reject) => {
    const body = JSON.stringify(update);
    const req = client.request(target, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let code: string | null = null;
        try {
          code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code?: string }).code ?? null;
        } catch {
          code = null;
        }
        resolve({ status: res.statusCode ?? 0, code });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
  return { post, close: () => agent.destroy() };
}

async function simulate(values: Record<string, string | string[] | undefined>, io: CliIo): Promise<number> {
  const symbols = (values.symbol as string[] | undefined) ?? [];
  const decimals = Number(values.decimals ?? '2');
  const rate = Number(values.rate ?? '1');
  const rounds = Number(values.rounds ?? String(Math.round(Number(values.duration ?? '10') * rate)));
  if (symbols.length === 0 || values.price === undefined) return fail(io, '--symbol and --price are required');
  if (!(rate > 0 && rate <= 100) || !Number.isInteger(rounds) || rounds < 1) return fail(io, '--rate must be in (0, 100] and --rounds/--duration positive');
  const sources = await loadKeys(values.dir as string);
  if (sources.length === 0) return fail(io, `no <source>.key files in ${String(values.dir)}`);
  let outlier: { sourceId: string; bps: number } | undefined;
  if (typeof values.outlier === 'string') {
    const [sourceId = '', bps = ''] = values.outlier.split(':');
    if (!sources.some((s) => s.sourceId === sourceId) || !/^-?[0-9]{1,6}$/.test(bps)) return fail(io, '--outlier must be <sourceId>:<bps> of a source in --dir');
    outlier = { sourceId, bps: Number(bps) };
  }
  const base = new URL(String(values.url ?? 'https://127.0.0.1:8443'));
  const defaultCa = path.join(io.env.Q2_DATA_DIR ?? './data', 'tls', 'cert.pem');
  const caFile = (values.ca as string | undefined) ?? (existsSync(defaultCa) ? defaultCa : undefined);
  const ca = caFile ? await readFile(caFile, 'utf8') : undefined;
  const simulator = createFeedSimulator({
    sources, symbols: symbols.map((symbol) => ({ symbol, price: String(values.price), decimals })),
    volatilityBps: Number(values['volatility-bps'] ?? '5'), spreadBps: Number(values['spread-bps'] ?? '2'), ...(outlier ? { outlier } : {}),
  });
  const { post, close } = poster(base, ca);
  const counts = new Map<string, number>();
  try {
    for (let round = 0; round < rounds; round++) {
      const started = Date.now();
      const results = await Promise.all(simulator.round(started).map(post));
      for (const r of results) {
        const key = r.status === 202 ? 'accepted' : (r.code ?? `HTTP_${r.status}`);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      if (io.stdout.isTTY) io.stdout.write(`\rround ${round + 1}/${rounds}: ${symbols.map((s) => `${s} ${simulator.price(s)}`).join(', ')}   `);
      if (round < rounds - 1) await delay(Math.max(0, 1000 / rate - (Date.now() - started)));
    }
  } catch (error) {
    return fail(io, `cannot reach ${base.origin}: ${(error as Error).message}`);
  } finally {
    close();
  }
  if (io.stdout.isTTY) io.stdout.write('\n');
  io.stdout.write(`${JSON.stringify({ rounds, updates: [...counts.values()].reduce((a, b) => a + b, 0), results: Object.fromEntries(counts) })}\n`);
  return counts.has('accepted') ? 0 : 1;
}

function fail(io: CliIo, message: string): number {
  io.stderr.write(`q2: ${message}\n`);
  return 1;
}

export const pricesCommand: CliCommand = {
  name: 'prices',
  summary: 'prices keygen|register|simulate — signed price feed simulator',
  async run(argv, io) {
    const [verb, ...rest] = argv;
    let values: Record<string, string | string[] | undefined>;
    try {
      ({ values } = parseArgs({
        args: [...rest],
        options: {
          dir: { type: 'string' }, sources: { type: 'string' }, prefix: { type: 'string' }, symbol: { type: 'string', multiple: true },
          min: { type: 'string' }, max: { type: 'string' }, decimals: { type: 'string' }, quorum: { type: 'string' },
          url: { type: 'string' }, ca: { type: 'string' }, price: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' },
          rounds: { type: 'string' }, 'volatility-bps': { type: 'string' }, 'spread-bps': { type: 'string' }, outlier: { type: 'string' },
        },
      }));
    } catch (error) {
      io.stderr.write(`q2: ${(error as Error).message}\n`);
      return 2;
    }
    if (typeof values.dir !== 'string' || !['keygen', 'register', 'simulate'].includes(verb ?? '')) {
      io.stderr.write(`${USAGE}\n`);
      return 2;
    }
    if (verb === 'keygen') return keygen(values, io);
    if (verb === 'register') return register(values, io);
    return simulate(values, io);
  },
};
