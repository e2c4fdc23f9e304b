/**
 * Fault tests with the built `q2 serve`, as an operator runs it:
 * 1. SQLite: the server is killed with SIGKILL in the middle of an order load; after a restart
 *    every acknowledged order is there and the books balance (ledger = balances, reservations =
 *    open orders, assets conserved, no order filled beyond its quantity).
 * 2. PostgreSQL + Redis, two replicas: the replica owning the BTC-USD book is killed with
 *    SIGKILL under load on both; the survivor takes the lease over and goes on; no acknowledged
 *    order is lost and none is matched twice.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/lib/db/index.js';
import { parseDecimal } from '../../src/lib/money/decimal.js';
import { base32Decode, totp } from '../../src/modules/mfa/index.js';
import { createThrowawayPostgres, testDatabaseUrl, testRedisUrl } from '../support/backends.js';
import { buildCli, runCli, spawnCli, waitForOutput } from '../support/cli.js';
import { request } from '../support/https.js';

beforeAll(() => buildCli(), 180_000);
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const PASSWORD = 'T9#kq2!vLm4@Zr-quartz';
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'q2-crash-'));
  dirs.push(dir);
  return dir;
};
const freePort = () => new Promise<number>((resolve) => {
  const srv = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = srv.address() as net.AddressInfo;
    srv.close(() => resolve(port));
  });
});

async function call(base: string, method: string, url: string, token: string | null, body?: unknown) {
  const res = await request(`${base}${url}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const parsed: ReturnType<typeof JSON.parse> = res.text ? JSON.parse(res.text) : null;
  return { status: res.status, body: parsed };
}

async function serve(env: Record<string, string>) {
  const child = spawnCli(['serve'], env);
  await waitForOutput(child, (out) => out.includes('q2 listening'), 60_000);
  return child;
}

/** An admin with TOTP, signed in: the real first-login enrollment flow (fresh MFA = step-up). */
async function adminToken(base: string, env: Record<string, string>): Promise<string> {
  const email = `admin-${randomBytes(4).toString('hex')}@example.test`;
  const created = await runCli(['admin', 'create', '--email', email], env, `${PASSWORD}\n`);
  expect(created.code, created.stderr).toBe(0);
  const login = await call(base, 'POST', '/v1/auth/login', null, { email, password: PASSWORD });
  const enrollmentToken = login.body.enrollmentToken as string;
  const start = await call(base, 'POST', '/v1/me/mfa/totp', null, { enrollmentToken });
  const code = totp(base32Decode(start.body.secret)!, Date.now(), { algorithm: 'SHA1', digits: 6, periodS: 30, t0S: 0 });
  const confirm = await call(base, 'POST', '/v1/me/mfa/totp/confirm', null, { enrollmentToken, code });
  expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
  return confirm.body.accessToken as string;
}

async function trader(base: string): Promise<{ userId: string; token: string }> {
  const email = `trader-${randomBytes(4).toString('hex')}@example.test`;
  const reg = await call(base, 'POST', '/v1/auth/register', null, { email, password: PASSWORD });
  const login = await call(base, 'POST', '/v1/auth/login', null, { email, password: PASSWORD });
  return { userId: reg.body.userId, token: login.body.accessToken };
}

async function fund(base: string, admin: string, buyer: { userId: string }, seller: { userId: string }) {
  expect((await call(base, 'PUT', '/v1/admin/reference-prices/BTC-USD', admin, { price: '60000' })).status).toBe(200);
  expect((await call(base, 'POST', `/v1/admin/accounts/${buyer.userId}/deposits`, admin, { depositId: `load-usd-${buyer.userId}`, asset: 'USD', amount: '10000000', reason: 'load' })).status).toBe(201);
  expect((await call(base, 'POST', `/v1/admin/accounts/${seller.userId}/deposits`, admin, { depositId: `load-btc-${seller.userId}`, asset: 'BTC', amount: '200', reason: 'load' })).status).toBe(201);
  for (const t of [buyer, seller]) expect((await call(base, 'PUT', `/v1/admin/risk-limits/${t.userId}`, admin, { maxOrdersPerSecond: 10000 })).status).toBe(200);
}

type Acked = Map<string, { filledQuantity: string; clientOrderId: string; token: string }>;

/** Order load from `workers` loops until `stop()` says so; returns the acknowledged (201) orders. */
async function load(targets: () => string[], buyer: { token: string }, seller: { token: string }, stop: (acked: Acked) => boolean, workers = 6): Promise<Acked> {
  const acked: Acked = new Map();
  let n = 0;
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    while (!stop(acked)) {
      const side = (n++ + w) % 2 === 0 ? 'buy' : 'sell';
      const who = side === 'buy' ? buyer : seller;
      const list = targets();
      const base = list[n % list.length] as string;
      const body = {
        clientOrderId: randomBytes(8).toString('hex'), symbol: 'BTC-USD', side, type: 'limit', timeInForce: 'GTC',
        quantity: `0.0${1 + (n % 5)}`, price: String(59_950 + ((n * 37) % 100)),
      };
      try {
        const res = await call(base, 'POST', '/v1/orders', who.token, body);
        if (res.status === 201) acked.set(res.body.orderId, { filledQuantity: res.body.filledQuantity, clientOrderId: body.clientOrderId, token: who.token });
      } catch {
        // The connection died with the server: not acknowledged, so nothing is promised.
      }
    }
  }));
  return acked;
}

/** Ledger, balances, reservations and fills agree; no order filled beyond its quantity. */
async function expectConsistent(databaseUrl: string, acked: Acked) {
  const db = await createDatabase(databaseUrl);
  try {
    const k = db.kysely;
    const orders = await k.selectFrom('trading_orders').selectAll().execute();
    const byId = new Map(orders.map((o) => [o.id, o]));
    for (const id of acked.keys()) expect(byId.has(id), `acknowledged order ${id} is missing`).toBe(true);
    const fills = await k.selectFrom('trading_fills').selectAll().execute();
    const filled = new Map<string, bigint>();
    for (const f of fills) {
      for (const id of [f.taker_order_id, f.maker_order_id]) filled.set(id, (filled.get(id) ?? 0n) + f.quantity);
    }
    for (const o of orders) {
      expect(filled.get(o.id) ?? 0n).toBe(o.filled_quantity);
      expect(o.filled_quantity <= o.quantity).toBe(true);
    }
    const balances = await k.selectFrom('trading_balances').selectAll().execute();
    const ledger = await k.selectFrom('trading_ledger').selectAll().execute();
    const sum = (rows: { amount: bigint }[]) => rows.reduce((s, r) => s + r.amount, 0n);
    for (const b of balances) {
      expect(b.total >= b.reserved && b.reserved >= 0n).toBe(true);
      expect(sum(ledger.filter((l) => l.user_id === b.user_id && l.asset === b.asset))).toBe(b.total);
      const open = orders.filter((o) => o.user_id === b.user_id && (o.status === 'open' || o.status === 'partially_filled') && (o.side === 'buy' ? 'USD' : 'BTC') === b.asset);
      expect(open.reduce((s, o) => s + o.reserved, 0n)).toBe(b.reserved);
    }
    expect(balances.filter((b) => b.asset === 'USD').reduce((s, b) => s + b.total, 0n)).toBe(10_000_000n * 1_000_000n);
    expect(balances.filter((b) => b.asset === 'BTC').reduce((s, b) => s + b.total, 0n)).toBe(200n * 100_000_000n);
    return { orders: orders.length, fills: fills.length };
  } finally {
    await db.close();
  }
}

describe('SIGKILL during an order load (SQLite, one server)', () => {
  it('loses no acknowledged order and restarts with consistent balances', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const env = { Q2_DATA_DIR: dataDir, Q2_PORT: String(port), Q2_LOG_LEVEL: 'info' };
    const base = `https://127.0.0.1:${port}`;
    let child = await serve(env);
    let acked: Acked = new Map();
    try {
      const admin = await adminToken(base, env);
      const buyer = await trader(base);
      const seller = await trader(base);
      await fund(base, admin, buyer, seller);
      let killed = false;
      acked = await load(() => [base], buyer, seller, (a) => {
        if (!killed && a.size >= 150) {
          child.kill('SIGKILL');
          killed = true;
        }
        return killed;
      });
      await new Promise((resolve) => child.once('exit', resolve));
      expect(acked.size).toBeGreaterThanOrEqual(150);

      child = await serve(env);
      for (const [orderId, seen] of acked) {
        const res = await call(base, 'GET', `/v1/orders/${orderId}`, seen.token);
        expect(res.status).toBe(200);
        expect(res.body.clientOrderId).toBe(seen.clientOrderId);
        // A maker may have filled further after its acknowledgement, never less (exact decimals).
        const units = (text: string) => (parseDecimal(text, 8) as { value: bigint }).value;
        expect(units(res.body.filledQuantity) >= units(seen.filledQuantity)).toBe(true);
      }
      // The restarted server trades on from the rebuilt book.
      expect((await call(base, 'POST', '/v1/orders', buyer.token, { clientOrderId: 'after', symbol: 'BTC-USD', side: 'buy', type: 'limit', quantity: '0.01', price: '60000', timeInForce: 'IOC' })).status).toBe(201);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    }
    const totals = await expectConsistent(`sqlite:${dataDir}/q2.db`, acked);
    expect(totals.fills).toBeGreaterThan(0);
  }, 180_000);
});

describe('SIGKILL of the book owner (PostgreSQL + Redis, two replicas)', () => {
  it('fails over to the other replica: no acknowledged order lost, none matched twice', async () => {
    const adminUrl = await testDatabaseUrl();
    const redisUrl = await testRedisUrl();
    if (!adminUrl || !redisUrl) throw new Error('needs PostgreSQL and Redis (Q2_TEST_DATABASE_URL, Q2_TEST_REDIS_URL)');
    const database = await createThrowawayPostgres(adminUrl);
    const [dirA, dirB] = [tempDir(), tempDir()];
    const [portA, portB] = [await freePort(), await freePort()];
    const shared = { Q2_DATABASE_URL: database.url, Q2_REDIS_URL: redisUrl, Q2_LOG_LEVEL: 'info' };
    const envA = { ...shared, Q2_DATA_DIR: dirA, Q2_PORT: String(portA) };
    const children = [await serve(envA)];
    const envB = {
      ...shared, Q2_DATA_DIR: dirB, Q2_PORT: String(portB), Q2_MASTER_KEY_FILE: `${dirA}/master.key`,
      Q2_TLS_CERT: `${dirA}/tls/cert.pem`, Q2_TLS_KEY: `${dirA}/tls/key.pem`,
    };
    children.push(await serve(envB));
    const bases = [`https://127.0.0.1:${portA}`, `https://127.0.0.1:${portB}`];
    try {
      const admin = await adminToken(bases[0]!, envA);
      const buyer = await trader(bases[0]!);
      const seller = await trader(bases[1]!);
      await fund(bases[1]!, admin, buyer, seller);

      let live = [0, 1];
      let victim = -1;
      let afterKill = 0;
      const acked = await load(() => live.map((i) => bases[i]!), buyer, seller, (a) => {
        if (victim < 0 && a.size >= 100) {
          // The owner logged its lease acquisition last (a later takeover would log again).
          const owners = children.map((c) => c.output().lastIndexOf('acquired order book lease'));
          victim = owners[0]! > owners[1]! ? 0 : 1;
          children[victim]!.kill('SIGKILL');
          live = [1 - victim];
          afterKill = a.size;
        }
        return victim >= 0 && a.size >= afterKill + 60;
      });
      expect(acked.size).toBeGreaterThanOrEqual(160);
      const survivor = children[1 - victim]!;
      expect(survivor.output()).toContain('acquired order book lease');
      const totals = await expectConsistent(database.url, acked);
      expect(totals.fills).toBeGreaterThan(0);
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(null) : c.once('exit', resolve)))));
      await database.drop();
    }
  }, 240_000);
});
