/**
 * Admin deposits by idempotency key, and a withdrawal's life after its request: review
 * (approve / reject), payout (sent / failed) through the payout port, and the screening port.
 * Threats: a retried deposit that credits twice; a rejected or failed withdrawal that does not
 * restore the balance exactly; a decision applied twice; a screening verdict that does not stop
 * the money. The ports are injected dependencies: the tests pass their own implementations.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/lib/events/index.js';
import { createTradingEvents } from '../../src/modules/trading/events.js';
import type { PayoutOutcome, PayoutRequest, ScreeningVerdict } from '../../src/modules/trading/index.js';
import { createAddressBook } from '../../src/modules/trading/withdrawals/addresses.js';
import { createWithdrawalLifecycle } from '../../src/modules/trading/withdrawals/lifecycle.js';
import { createWithdrawalService } from '../../src/modules/trading/withdrawals/service.js';
import { startTradingHarness, type TradingHarness } from './trading-harness.js';

let h: TradingHarness;
const events: SecurityEvent[] = [];
const ADDRESS = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq';

beforeAll(async () => {
  h = await startTradingHarness();
  h.platform.events.subscribe('lifecycle-test', (event) => {
    events.push(event);
  });
});
afterAll(async () => {
  await h?.platform.stop();
});

const drained = async () => {
  await h.platform.events.drain();
  return events;
};
const balances = async (userId: string) => (await h.request('GET', '/v1/balances', userId)).body;
/** Σ journal = balance total, for every asset of the account. */
async function expectLedgerMatches(userId: string): Promise<void> {
  const db = h.platform.db.kysely;
  const journal = await db.selectFrom('trading_ledger').select(['asset', 'amount']).where('user_id', '=', userId).execute();
  const rows = await db.selectFrom('trading_balances').select(['asset', 'total']).where('user_id', '=', userId).execute();
  for (const row of rows) expect(journal.filter((j) => j.asset === row.asset).reduce((sum, j) => sum + j.amount, 0n)).toBe(row.total);
}

/** A trader with BTC and an allowlisted address past its cooling-off period. */
async function traderWithAddress(amount = '3'): Promise<string> {
  const user = await h.user();
  await h.deposit(user, 'BTC', amount);
  expect((await h.request('POST', '/v1/withdrawals/addresses', user, { asset: 'BTC', address: ADDRESS, label: 'cold' })).status).toBe(201);
  h.clock.advance(86_400_000);
  return user;
}

describe('admin deposits are idempotent by depositId', () => {
  it('answers a repeat with the first result and credits once; the same id for another deposit is DEPOSIT_ID_REUSED', async () => {
    const trader = await h.user();
    const body = { depositId: `wire-${trader}`, asset: 'USD', amount: '250.5', reason: 'wire 7' };
    const first = await h.request('POST', `/v1/admin/accounts/${trader}/deposits`, h.adminId, body);
    expect(first.status).toBe(201);
    const again = await h.request('POST', `/v1/admin/accounts/${trader}/deposits`, h.adminId, body);
    expect([again.status, again.body]).toEqual([201, first.body]);
    expect(await balances(trader)).toEqual([{ asset: 'USD', total: '250.5', available: '250.5', reserved: '0' }]);

    for (const changed of [{ amount: '250.6' }, { asset: 'BTC', amount: '1' }, { reason: 'wire 8' }]) {
      const res = await h.request('POST', `/v1/admin/accounts/${trader}/deposits`, h.adminId, { ...body, ...changed });
      expect([res.status, res.body.code]).toEqual([409, 'DEPOSIT_ID_REUSED']);
    }
    const other = await h.user();
    const elsewhere = await h.request('POST', `/v1/admin/accounts/${other}/deposits`, h.adminId, body);
    expect([elsewhere.status, elsewhere.body.code]).toEqual([409, 'DEPOSIT_ID_REUSED']);
    expect(await balances(trader)).toEqual([{ asset: 'USD', total: '250.5', available: '250.5', reserved: '0' }]);
    expect(await balances(other)).toEqual([]);
    await expectLedgerMatches(trader);

    const seen = (await drained()).filter((e) => e.target === trader && e.type.startsWith('trading.deposit'));
    expect(seen.map((e) => e.type)).toEqual(['trading.deposit', 'trading.deposit.repeated', 'trading.deposit.key_reused', 'trading.deposit.key_reused', 'trading.deposit.key_reused']);
  });

  it('credits once when the same deposit arrives many times at once', async () => {
    const trader = await h.user();
    const body = { depositId: `burst-${trader}`, asset: 'ETH', amount: '2', reason: 'retried by a timing-out client' };
    const answers = await Promise.all(Array.from({ length: 8 }, () => h.request('POST', `/v1/admin/accounts/${trader}/deposits`, h.adminId, body)));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([201]));
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(await balances(trader)).toEqual([{ asset: 'ETH', total: '2', available: '2', reserved: '0' }]);
    await expectLedgerMatches(trader);
  });
});

describe('review and manual payout (the default payout port)', () => {
  it('approves a held withdrawal under step-up, lists it for payout, records it sent once; repeated decisions are refused', async () => {
    const user = await traderWithAddress();
    const held = await h.request('POST', '/v1/withdrawals', user, { asset: 'BTC', amount: '1.5', address: ADDRESS });
    expect(held.body).toMatchObject({ status: 'held', holdReason: 'review-limit', statusReason: null, txId: null });
    const id = held.body.withdrawalId as string;
    const compliance = await h.user(['compliance']);
    const review = (as: string, decision: string, headers: Record<string, string> = {}) =>
      h.request('POST', `/v1/admin/withdrawals/${id}/review`, as, { decision, reason: 'source of funds checked' }, headers);
    const payout = (as: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      h.request('POST', `/v1/admin/withdrawals/${id}/payout`, as, body, headers);

    expect((await review(user, 'approve')).status).toBe(403);
    expect((await review(compliance, 'approve', { 'x-test-stale': '1' })).body.code).toBe('AUTH_STEP_UP_REQUIRED');
    expect((await payout(h.adminId, { outcome: 'sent', txId: 'f00d' })).body.code).toBe('WITHDRAWAL_NOT_PENDING');
    const approved = await review(compliance, 'approve');
    expect(approved.body).toMatchObject({ status: 'pending', statusReason: 'source of funds checked' });
    expect((await review(compliance, 'approve')).body.code).toBe('WITHDRAWAL_NOT_REVIEWABLE');
    expect((await review(compliance, 'reject')).body.code).toBe('WITHDRAWAL_NOT_REVIEWABLE');
    expect(await balances(user)).toEqual([{ asset: 'BTC', total: '1.5', available: '1.5', reserved: '0' }]);

    const queue = await h.request('GET', '/v1/admin/withdrawals?status=pending', compliance);
    expect(queue.headers['cache-control']).toBe('no-store');
    expect(queue.body.find((w: { withdrawalId: string }) => w.withdrawalId === id)).toMatchObject({ userId: user, address: ADDRESS, amount: '1.5', status: 'pending' });
    expect((await h.request('GET', '/v1/admin/withdrawals?status=pending', user)).status).toBe(403);

    // Recording money movements is for admins (accounts:deposit), with a fresh second factor.
    expect((await payout(compliance, { outcome: 'sent', txId: 'f00d' })).status).toBe(403);
    expect((await payout(h.adminId, { outcome: 'sent', txId: 'f00d' }, { 'x-test-stale': '1' })).body.code).toBe('AUTH_STEP_UP_REQUIRED');
    for (const bad of [{ outcome: 'sent' }, { outcome: 'failed' }, { outcome: 'lost', reason: 'x' }, { outcome: 'sent', txId: '<script>' }]) {
      expect((await payout(h.adminId, bad)).status).toBe(400);
    }
    const sent = await payout(h.adminId, { outcome: 'sent', txId: 'a1b2c3d4e5f6' });
    expect(sent.body).toMatchObject({ status: 'sent', txId: 'a1b2c3d4e5f6' });
    expect((await payout(h.adminId, { outcome: 'sent', txId: 'other' })).body.code).toBe('WITHDRAWAL_NOT_PENDING');
    expect((await payout(h.adminId, { outcome: 'failed', reason: 'too late' })).body.code).toBe('WITHDRAWAL_NOT_PENDING');
    expect(await balances(user)).toEqual([{ asset: 'BTC', total: '1.5', available: '1.5', reserved: '0' }]);
    await expectLedgerMatches(user);

    const seen = (await drained()).filter((e) => e.target === id);
    expect(seen.find((e) => e.type === 'withdrawal.reviewed')).toMatchObject({ actor: compliance, details: { decision: 'approve' } });
    expect(seen.some((e) => e.type === 'withdrawal.payout.submitted')).toBe(true);
    expect(seen.find((e) => e.type === 'withdrawal.sent')).toMatchObject({ actor: h.adminId, details: { txId: 'a1b2c3d4e5f6' } });
    expect(seen.filter((e) => e.type === 'withdrawal.review.refused' || e.type === 'withdrawal.payout.refused').length).toBeGreaterThanOrEqual(4);
  });

  it('restores the balance exactly when a held withdrawal is rejected or a payout fails', async () => {
    const user = await traderWithAddress('3.00000001');
    const compliance = await h.user(['compliance']);
    const held = await h.request('POST', '/v1/withdrawals', user, { asset: 'BTC', amount: '1.23456789', address: ADDRESS });
    expect(held.body.status).toBe('held');
    expect(await balances(user)).toEqual([{ asset: 'BTC', total: '1.76543212', available: '1.76543212', reserved: '0' }]);
    const rejected = await h.request('POST', `/v1/admin/withdrawals/${held.body.withdrawalId}/review`, compliance, { decision: 'reject', reason: 'unexplained source' });
    expect(rejected.body).toMatchObject({ status: 'rejected', statusReason: 'unexplained source' });
    expect(await balances(user)).toEqual([{ asset: 'BTC', total: '3.00000001', available: '3.00000001', reserved: '0' }]);

    const pending = await h.request('POST', '/v1/withdrawals', user, { asset: 'BTC', amount: '0.5', address: ADDRESS });
    expect(pending.body.status).toBe('pending');
    const failed = await h.request('POST', `/v1/admin/withdrawals/${pending.body.withdrawalId}/payout`, h.adminId, { outcome: 'failed', reason: 'custody refused the address' });
    expect(failed.body).toMatchObject({ status: 'failed', statusReason: 'custody refused the address', txId: null });
    expect(await balances(user)).toEqual([{ asset: 'BTC', total: '3.00000001', available: '3.00000001', reserved: '0' }]);
    expect((await h.request('POST', `/v1/admin/withdrawals/${pending.body.withdrawalId}/payout`, h.adminId, { outcome: 'failed', reason: 'again' })).body.code).toBe('WITHDRAWAL_NOT_PENDING');
    expect(await balances(user)).toEqual([{ asset: 'BTC', total: '3.00000001', available: '3.00000001', reserved: '0' }]);
    await expectLedgerMatches(user);
    const kinds = await h.platform.db.kysely.selectFrom('trading_ledger').select('kind').where('user_id', '=', user).orderBy('created_at').execute();
    expect(kinds.map((k) => k.kind).sort()).toEqual(['deposit', 'withdrawal', 'withdrawal', 'withdrawal-refund', 'withdrawal-refund']);
    expect((await drained()).find((e) => e.type === 'withdrawal.payout_failed' && e.target === pending.body.withdrawalId)).toMatchObject({ actor: h.adminId, outcome: 'failure' });
  });
});

describe('ports', () => {
  /** The withdrawal services over the harness database, with the given ports. */
  function services(ports: { screen?: (address: string) => ScreeningVerdict; send?: (request: PayoutRequest) => Promise<PayoutOutcome> }) {
    const db = h.platform.db.kysely;
    const tradingEvents = createTradingEvents(h.platform.events, new Registry());
    const addresses = createAddressBook({ db, protector: h.platform.crypto.protector, coolingOffMs: 0, now: () => h.clock.now() });
    const errors: unknown[] = [];
    const payouts: PayoutRequest[] = [];
    const lifecycle = createWithdrawalLifecycle({
      db, addresses, events: tradingEvents, now: () => h.clock.now(), scaleOf: (asset) => h.trading.instruments.assetScale(asset) ?? 0,
      onError: (error) => errors.push(error),
      payout: { name: 'test', send: async (request) => { payouts.push(request); return ports.send ? ports.send(request) : { status: 'submitted' }; } },
    });
    const service = createWithdrawalService({
      db, instruments: h.trading.instruments, addresses, reviewAbove: new Map(), events: tradingEvents, now: () => h.clock.now(), onPending: lifecycle.dispatch,
      screening: ports.screen ? { screen: async (request) => ports.screen!(request.address) } : null,
    });
    return { addresses, lifecycle, service, errors, payouts };
  }

  it('payout: "sent" is recorded at once, "failed" credits back, an error leaves the withdrawal pending for an operator', async () => {
    const user = await h.user();
    await h.deposit(user, 'ETH', '10');
    const outcomes: (PayoutOutcome | Error)[] = [{ status: 'sent', txId: '0xabc123' }, { status: 'failed', reason: 'insufficient hot wallet' }, new Error('custody API down')];
    const s = services({ send: async () => { const next = outcomes.shift()!; if (next instanceof Error) throw next; return next; } });
    const address = '0x52908400098527886e0f7030069857d2e4169ee7';
    await s.addresses.add(user, 'ETH', address, 'hot');
    const ctx = { actor: user, ip: null, requestId: null };
    const body = { asset: 'ETH', amount: '1', address };
    expect(await s.service.request(user, body, ctx)).toMatchObject({ status: 'sent', txId: '0xabc123' });
    expect(await s.service.request(user, body, ctx)).toMatchObject({ status: 'failed', statusReason: 'insufficient hot wallet' });
    const stuck = await s.service.request(user, body, ctx);
    expect(stuck).toMatchObject({ status: 'pending' });
    expect(s.errors).toHaveLength(1);
    expect(s.payouts.map((p) => [p.userId, p.asset, p.amount, p.address])).toEqual(Array.from({ length: 3 }, () => [user, 'ETH', '1', address]));
    // Sent 1, failed 1 (credited back), 1 still pending: 10 − 1 − 1 = 8.
    expect(await balances(user)).toEqual([{ asset: 'ETH', total: '8', available: '8', reserved: '0' }]);
    // An operator (never the owner: four-eyes) records what became of it.
    expect(await s.lifecycle.recordPayout(stuck.withdrawalId, { outcome: 'failed', reason: 'operator gave up' }, { actor: h.adminId, ip: null, requestId: null })).toMatchObject({ status: 'failed' });
    expect(await balances(user)).toEqual([{ asset: 'ETH', total: '9', available: '9', reserved: '0' }]);
    await expectLedgerMatches(user);
  });

  it('screening: deny refuses with SANCTIONS_HIT and debits nothing; hold holds, and nothing is paid out before approval', async () => {
    const user = await h.user();
    await h.deposit(user, 'ETH', '5');
    const denied = '0x1111111111111111111111111111111111111111';
    const review = '0x2222222222222222222222222222222222222222';
    const s = services({ screen: (address) => ({ decision: address === denied ? 'deny' : address === review ? 'hold' : 'allow', reasons: ['list match'] }) });
    await s.addresses.add(user, 'ETH', denied, 'a');
    await s.addresses.add(user, 'ETH', review, 'b');
    const ctx = { actor: user, ip: null, requestId: null };
    await expect(s.service.request(user, { asset: 'ETH', amount: '1', address: denied }, ctx)).rejects.toMatchObject({ code: 'SANCTIONS_HIT' });
    expect(await balances(user)).toEqual([{ asset: 'ETH', total: '5', available: '5', reserved: '0' }]);
    const held = await s.service.request(user, { asset: 'ETH', amount: '1', address: review }, ctx);
    expect(held).toMatchObject({ status: 'held', screening: 'hold', holdReason: 'screening' });
    expect(s.payouts).toEqual([]);
    expect(await s.lifecycle.review(held.withdrawalId, 'approve', 'false positive: name collision', { actor: h.adminId, ip: null, requestId: null })).toMatchObject({ status: 'pending' });
    expect(s.payouts.map((p) => p.withdrawalId)).toEqual([held.withdrawalId]);
    expect((await drained()).some((e) => e.type === 'withdrawal.rejected' && e.details.code === 'SANCTIONS_HIT' && e.target === user)).toBe(true);
  });
});
