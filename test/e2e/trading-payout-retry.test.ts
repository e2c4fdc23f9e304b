/**
 * Automatic retries of the HTTP payout port (Q2_PAYOUT_WEBHOOK_URL), end to end with a real local
 * receiver: a payout that meets a network error, a non-2xx answer or a timeout is retried with
 * exponential backoff (due times on the injected clock, so no test waits for a backoff), every
 * attempt carrying the withdrawal id as the idempotency key; after the last attempt it stays
 * `pending`, flagged for manual handling, with an alarm event. Threats: a payout stuck forever
 * unnoticed; a retry that pays twice (two replicas sending the same attempt); a give-up that
 * refunds money that may have left, or loses it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../../src/lib/clock/index.js';
import type { SecurityEvent } from '../../src/lib/events/index.js';
import { SIGNATURE_HEADER, verifyWebhookSignature, WEBHOOK_ID_HEADER } from '../../src/lib/notify/index.js';
import { createTradingEvents } from '../../src/modules/trading/events.js';
import { createWebhookPayout } from '../../src/modules/trading/index.js';
import { createAddressBook } from '../../src/modules/trading/withdrawals/addresses.js';
import { createWithdrawalLifecycle } from '../../src/modules/trading/withdrawals/lifecycle.js';
import { DEFAULT_PAYOUT_RETRY, delayAfterAttempt } from '../../src/modules/trading/withdrawals/payout-attempts.js';
import { createWithdrawalService } from '../../src/modules/trading/withdrawals/service.js';
import { createThrowawayPostgres, testDatabaseUrl, testRedisUrl, type ThrowawayDatabase } from '../support/backends.js';
import { startTradingHarness, type TradingHarness } from './trading-harness.js';

const SECRET = 'payout-retry-webhook-secret-0123456789';
const ADDRESS = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq';
const MAX = DEFAULT_PAYOUT_RETRY.maxAttempts;

interface Delivery { withdrawalId: string; attempt: number; idempotencyKey: unknown; webhookId: unknown; signed: boolean }

/**
 * A custody service stand-in. What it does with attempt n of a withdrawal depends on the amount:
 * `script[amount][n - 1]` ('reset' = drop the connection, 'hang' = never answer, a number = that
 * HTTP status with no body, 'sent' = pay), the last entry repeating. It pays each withdrawal id
 * once and answers a repeat with the same txId (idempotent by key).
 */
function startReceiver(script: Record<string, string[]>, now: () => number) {
  const deliveries: Delivery[] = [];
  const paid = new Map<string, string>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const payload = JSON.parse(body) as { withdrawalId: string; attempt: number; amount: string };
      deliveries.push({
        withdrawalId: payload.withdrawalId, attempt: payload.attempt, idempotencyKey: request.headers['idempotency-key'], webhookId: request.headers[WEBHOOK_ID_HEADER],
        signed: verifyWebhookSignature({ secret: SECRET, header: request.headers[SIGNATURE_HEADER] as string, body, nowMs: now() }).ok,
      });
      const steps = script[payload.amount] ?? ['400'];
      const step = steps[Math.min(payload.attempt, steps.length) - 1];
      if (step === 'reset') return request.socket.destroy();
      if (step === 'hang') return;
      if (step === 'sent') {
        const txId = paid.get(payload.withdrawalId) ?? `tx${paid.size + 1}${payload.withdrawalId.slice(0, 8)}`;
        paid.set(payload.withdrawalId, txId);
        return response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'sent', txId }));
      }
      response.writeHead(Number(step)).end();
    });
  });
  return {
    deliveries, paid,
    attemptsOf: (id: string) => deliveries.filter((d) => d.withdrawalId === id).map((d) => d.attempt),
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/payouts`;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const SCRIPT: Record<string, string[]> = {
  '0.11': ['reset', '503', 'sent'],
  '0.12': ['500'],
  '0.13': ['502', 'sent'],
  '0.14': ['hang'],
  '0.15': ['401'],
  '0.16': ['429', '409', 'sent'],
};

async function fundedTrader(h: TradingHarness, amount = '3'): Promise<string> {
  const user = await h.user();
  await h.deposit(user, 'BTC', amount);
  expect((await h.request('POST', '/v1/withdrawals/addresses', user, { asset: 'BTC', address: ADDRESS })).status).toBe(201);
  h.clock.advance(86_400_000);
  return user;
}
const withdraw = async (h: TradingHarness, user: string, amount: string) =>
  (await h.request('POST', '/v1/withdrawals', user, { asset: 'BTC', amount, address: ADDRESS })).body as { withdrawalId: string; status: string; txId: string | null };
const adminView = async (h: TradingHarness, id: string) =>
  ((await h.request('GET', '/v1/admin/withdrawals?status=pending', h.adminId)).body as { withdrawalId: string }[]).find((w) => w.withdrawalId === id);
const ledgerKinds = async (h: TradingHarness, user: string) =>
  (await h.platform.db.kysely.selectFrom('trading_ledger').select('kind').where('user_id', '=', user).execute()).map((r) => r.kind).sort();
/** Moves the clock to when attempt `attempt + 1` is due and sweeps on every given replica at once. */
async function nextAttempt(replicas: TradingHarness[], attempt: number): Promise<void> {
  replicas[0]!.clock.advance(delayAfterAttempt(DEFAULT_PAYOUT_RETRY, attempt));
  await Promise.all(replicas.map((r) => r.trading.payoutRetry!.runOnce()));
}

describe('payout retries (one replica, SQLite)', () => {
  let h: TradingHarness;
  const receiver = startReceiver(SCRIPT, () => h.clock.now());
  const events: SecurityEvent[] = [];

  beforeAll(async () => {
    const url = await receiver.listen();
    h = await startTradingHarness({ Q2_PAYOUT_WEBHOOK_URL: url, Q2_PAYOUT_WEBHOOK_SECRET: SECRET });
    h.platform.events.subscribe('payout-retry-test', (event) => {
      events.push(event);
    });
  });
  afterAll(async () => {
    await h?.platform.stop();
    await receiver.close();
  });
  const eventsOf = async (id: string) => {
    await h.platform.events.drain();
    return events.filter((e) => e.target === id);
  };

  it('retries a payout that failed twice (connection reset, then 503) and records one `sent`; every attempt carries the same idempotency key', async () => {
    const user = await fundedTrader(h);
    const first = await withdraw(h, user, '0.11');
    expect(first.status).toBe('pending');
    const id = first.withdrawalId;
    expect(await adminView(h, id)).toMatchObject({
      payoutAttempts: 1, payoutFlaggedAt: null, payoutNextAttemptAt: new Date(h.clock.now() + delayAfterAttempt(DEFAULT_PAYOUT_RETRY, 1)).toISOString(),
    });
    // Not due yet: a sweep sends nothing.
    await h.trading.payoutRetry!.runOnce();
    expect(receiver.attemptsOf(id)).toEqual([1]);

    await nextAttempt([h], 1);
    expect(receiver.attemptsOf(id)).toEqual([1, 2]);
    expect(await adminView(h, id)).toMatchObject({ status: 'pending', payoutAttempts: 2 });
    await nextAttempt([h], 2);
    expect(receiver.attemptsOf(id)).toEqual([1, 2, 3]);
    const [mine] = (await h.request('GET', '/v1/withdrawals', user)).body as { withdrawalId: string; status: string; txId: string }[];
    expect(mine).toMatchObject({ withdrawalId: id, status: 'sent', txId: receiver.paid.get(id) });
    // Nothing is due any more, however long we wait.
    await nextAttempt([h], 7);
    expect(receiver.attemptsOf(id)).toEqual([1, 2, 3]);

    const deliveries = receiver.deliveries.filter((d) => d.withdrawalId === id);
    expect(deliveries.every((d) => d.idempotencyKey === id && d.webhookId === id && d.signed)).toBe(true);
    expect((await h.request('GET', '/v1/balances', user)).body).toEqual([{ asset: 'BTC', total: '2.89', available: '2.89', reserved: '0' }]);
    expect(await ledgerKinds(h, user)).toEqual(['deposit', 'withdrawal']);
    const seen = await eventsOf(id);
    expect(seen.filter((e) => e.type === 'withdrawal.payout.attempt_failed').map((e) => e.details.attempt)).toEqual([1, 2]);
    expect(seen.filter((e) => e.type === 'withdrawal.sent')).toMatchObject([{ actor: 'system:payout' }]);
  });

  it('gives up after the last attempt: still pending and debited (no refund), flagged in the admin view, one alarm event; an operator then settles it once', async () => {
    const user = await fundedTrader(h);
    const { withdrawalId: id } = await withdraw(h, user, '0.12');
    for (let attempt = 1; attempt < MAX; attempt++) await nextAttempt([h], attempt);
    expect(receiver.attemptsOf(id)).toEqual(Array.from({ length: MAX }, (_, i) => i + 1));
    const flagged = await adminView(h, id);
    expect(flagged).toMatchObject({ status: 'pending', payoutAttempts: MAX, payoutNextAttemptAt: null, payoutFlaggedAt: new Date(h.clock.now()).toISOString() });
    // No further attempt, however long we wait.
    await nextAttempt([h], MAX);
    await nextAttempt([h], MAX);
    expect(receiver.attemptsOf(id)).toHaveLength(MAX);
    expect((await h.request('GET', '/v1/balances', user)).body).toEqual([{ asset: 'BTC', total: '2.88', available: '2.88', reserved: '0' }]);
    expect(await ledgerKinds(h, user)).toEqual(['deposit', 'withdrawal']);
    const seen = await eventsOf(id);
    expect(seen.filter((e) => e.type === 'withdrawal.payout.attempt_failed')).toHaveLength(MAX);
    expect(seen.filter((e) => e.type === 'withdrawal.payout.retries_exhausted')).toMatchObject([{ outcome: 'failure', details: { attempts: MAX, manualHandling: true } }]);

    // Custody confirms nothing left: the operator records the failure, which credits back exactly once.
    const failed = await h.request('POST', `/v1/admin/withdrawals/${id}/payout`, h.adminId, { outcome: 'failed', reason: 'custody never received it' });
    expect(failed.body).toMatchObject({ status: 'failed' });
    expect((await h.request('POST', `/v1/admin/withdrawals/${id}/payout`, h.adminId, { outcome: 'failed', reason: 'again' })).body.code).toBe('WITHDRAWAL_NOT_PENDING');
    expect((await h.request('GET', '/v1/balances', user)).body).toEqual([{ asset: 'BTC', total: '3', available: '3', reserved: '0' }]);
    expect(await ledgerKinds(h, user)).toEqual(['deposit', 'withdrawal', 'withdrawal-refund']);
  });

  it('does not retry a request the receiver refused for good (HTTP 401): flagged at once, still pending and debited, one alarm', async () => {
    const user = await fundedTrader(h);
    const { withdrawalId: id } = await withdraw(h, user, '0.15');
    expect(await adminView(h, id)).toMatchObject({ status: 'pending', payoutAttempts: 1, payoutNextAttemptAt: null, payoutFlaggedAt: new Date(h.clock.now()).toISOString() });
    await nextAttempt([h], 1);
    await nextAttempt([h], 2);
    expect(receiver.attemptsOf(id)).toEqual([1]);
    expect((await h.request('GET', '/v1/balances', user)).body).toEqual([{ asset: 'BTC', total: '2.85', available: '2.85', reserved: '0' }]);
    expect(await ledgerKinds(h, user)).toEqual(['deposit', 'withdrawal']);
    const seen = await eventsOf(id);
    expect(seen.filter((e) => e.type === 'withdrawal.payout.retries_exhausted')).toMatchObject([{ outcome: 'failure', details: { attempts: 1, manualHandling: true, reason: 'refused' } }]);
  });

  it('retries the 4xx answers that mean "later" (429, 409) and then records one `sent`', async () => {
    const user = await fundedTrader(h);
    const { withdrawalId: id } = await withdraw(h, user, '0.16');
    await nextAttempt([h], 1);
    await nextAttempt([h], 2);
    expect(receiver.attemptsOf(id)).toEqual([1, 2, 3]);
    expect(((await h.request('GET', '/v1/withdrawals', user)).body as { withdrawalId: string; status: string }[]).find((w) => w.withdrawalId === id)).toMatchObject({ status: 'sent' });
  });

  it('flags a withdrawal whose last attempt was claimed by a replica that died before sending or flagging it', async () => {
    const user = await fundedTrader(h);
    const { withdrawalId: id } = await withdraw(h, user, '0.12');
    // The state a crash leaves: attempt MAX claimed (and the wait after it scheduled), nothing more.
    await h.platform.db.kysely.updateTable('withdrawals')
      .set({ payout_attempts: BigInt(MAX), payout_next_at: BigInt(h.clock.now() + delayAfterAttempt(DEFAULT_PAYOUT_RETRY, MAX)) }).where('id', '=', id).execute();
    await h.trading.payoutRetry!.runOnce();
    expect(await adminView(h, id)).toMatchObject({ payoutFlaggedAt: null });
    await nextAttempt([h], MAX);
    expect(await adminView(h, id)).toMatchObject({ status: 'pending', payoutAttempts: MAX, payoutFlaggedAt: new Date(h.clock.now()).toISOString() });
    expect(receiver.attemptsOf(id)).toEqual([1]);
    expect((await eventsOf(id)).filter((e) => e.type === 'withdrawal.payout.retries_exhausted')).toHaveLength(1);
  });

  it('retries on its own: the loop\'s timer sends a due attempt without being asked', async () => {
    const user = await fundedTrader(h);
    const { withdrawalId: id } = await withdraw(h, user, '0.13');
    h.clock.advance(delayAfterAttempt(DEFAULT_PAYOUT_RETRY, 1));
    await vi.waitFor(async () => {
      expect(((await h.request('GET', '/v1/withdrawals', user)).body as { status: string }[])[0]?.status).toBe('sent');
    }, { timeout: 10_000, interval: 50 });
    expect(receiver.attemptsOf(id)).toEqual([1, 2]);
  });

  it('counts a receiver that does not answer in time as a failed attempt (injected short timeout and backoff)', async () => {
    const user = await fundedTrader(h);
    const db = h.platform.db.kysely;
    // Its own clock, years ahead: the platform's loop (on h.clock) never finds these attempts due.
    const own = createManualClock(h.clock.now() + 10 * 365 * 86_400_000);
    const now = () => own.now();
    const errors: unknown[] = [];
    const addresses = createAddressBook({ db, protector: h.platform.crypto.protector, coolingOffMs: 0, now });
    const lifecycle = createWithdrawalLifecycle({
      db, addresses, events: createTradingEvents(h.platform.events, new Registry()), now, scaleOf: (asset) => h.trading.instruments.assetScale(asset) ?? 0,
      onError: (error) => errors.push(error), retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10 },
      payout: createWebhookPayout({ url: h.platform.config.notify.payoutWebhookUrl!, secret: SECRET, clock: h.clock, timeoutMs: 100 }),
    });
    const service = createWithdrawalService({
      db, instruments: h.trading.instruments, addresses, screening: null, reviewAbove: new Map(), events: createTradingEvents(h.platform.events, new Registry()), now, onPending: lifecycle.dispatch,
    });
    const pending = await service.request(user, { asset: 'BTC', amount: '0.14', address: ADDRESS }, { actor: user, ip: null, requestId: null });
    expect(pending.status).toBe('pending');
    expect(errors).toHaveLength(1);
    own.advance(10);
    expect(await lifecycle.retryDue()).toBe(1);
    expect(receiver.attemptsOf(pending.withdrawalId)).toEqual([1, 2]);
    expect(errors).toHaveLength(2);
    expect(await lifecycle.list('pending', 500)).toContainEqual(expect.objectContaining({ withdrawalId: pending.withdrawalId, payoutAttempts: 2, payoutFlaggedAt: new Date(own.now()).toISOString() }));
  });
});

describe('payout retries on two replicas (PostgreSQL)', () => {
  let database: ThrowawayDatabase;
  let a: TradingHarness;
  let b: TradingHarness;
  const clock = createManualClock(Date.UTC(2026, 6, 2, 9));
  const receiver = startReceiver(SCRIPT, () => clock.now());
  const events: SecurityEvent[] = [];

  beforeAll(async () => {
    const adminUrl = await testDatabaseUrl();
    const redisUrl = await testRedisUrl();
    if (!adminUrl || !redisUrl) throw new Error('replica tests need PostgreSQL and Redis (Q2_TEST_DATABASE_URL, Q2_TEST_REDIS_URL)');
    database = await createThrowawayPostgres(adminUrl);
    const env = { Q2_DATABASE_URL: database.url, Q2_REDIS_URL: redisUrl, Q2_PAYOUT_WEBHOOK_URL: await receiver.listen(), Q2_PAYOUT_WEBHOOK_SECRET: SECRET };
    a = await startTradingHarness(env, clock);
    b = await startTradingHarness({ ...env, Q2_MASTER_KEY_FILE: `${a.platform.config.dataDir}/master.key` }, clock);
    for (const replica of [a, b]) replica.platform.events.subscribe('payout-retry-replicas', (event) => {
      events.push(event);
    });
  });
  afterAll(async () => {
    await b?.platform.stop();
    await a?.platform.stop();
    await receiver.close();
    await database?.drop();
  });

  it('sends each attempt once although both replicas sweep at the same moment; one `sent`, one give-up alarm per withdrawal', async () => {
    const user = await fundedTrader(a, '5');
    const failing = await Promise.all([1, 2, 3, 4].map(() => withdraw(a, user, '0.12')));
    const recovering = await Promise.all([1, 2].map(() => withdraw(a, user, '0.11')));
    for (let attempt = 1; attempt < MAX; attempt++) await nextAttempt([a, b], attempt);
    await nextAttempt([a, b], MAX);

    for (const { withdrawalId: id } of failing) expect(receiver.attemptsOf(id)).toEqual(Array.from({ length: MAX }, (_, i) => i + 1));
    for (const { withdrawalId: id } of recovering) expect(receiver.attemptsOf(id)).toEqual([1, 2, 3]);
    expect(receiver.deliveries.every((d) => d.idempotencyKey === d.withdrawalId && d.signed)).toBe(true);

    const rows = await a.platform.db.kysely.selectFrom('withdrawals').select(['id', 'status', 'payout_attempts', 'payout_flagged_at']).where('user_id', '=', user).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const { withdrawalId: id } of failing) expect(byId.get(id)).toMatchObject({ status: 'pending', payout_attempts: BigInt(MAX), payout_flagged_at: expect.any(BigInt) });
    for (const { withdrawalId: id } of recovering) expect(byId.get(id)).toMatchObject({ status: 'sent' });

    await a.platform.events.drain();
    await b.platform.events.drain();
    for (const { withdrawalId: id } of failing) expect(events.filter((e) => e.target === id && e.type === 'withdrawal.payout.retries_exhausted')).toHaveLength(1);
    for (const { withdrawalId: id } of recovering) expect(events.filter((e) => e.target === id && e.type === 'withdrawal.sent')).toHaveLength(1);
    // 5 − 4 × 0.12 − 2 × 0.11, nothing refunded: the flagged ones stay debited for an operator.
    expect((await b.request('GET', '/v1/balances', user)).body).toEqual([{ asset: 'BTC', total: '4.3', available: '4.3', reserved: '0' }]);
    expect(await ledgerKinds(a, user)).toEqual(['deposit', ...Array.from({ length: 6 }, () => 'withdrawal')]);
  });
});
