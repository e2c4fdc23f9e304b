/**
 * Withdrawals and trading admin routes end to end: step-up MFA and the `withdraw` scope, the
 * encrypted address allowlist with its cooling-off period and owner notification, holds above
 * the review limit, review by compliance, the explicit "screening not configured" record, and
 * the permission + step-up guard on every admin route. (Review, payout and the screening port:
 * trading-withdrawal-lifecycle.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/lib/events/index.js';
import { startTradingHarness, type TradingHarness } from './trading-harness.js';

let h: TradingHarness;
const events: SecurityEvent[] = [];
const ADDRESS = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq';

beforeAll(async () => {
  h = await startTradingHarness();
  h.platform.events.subscribe('withdrawal-test', (event) => {
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

describe('admin routes', () => {
  it('need the named permission and a recent second factor', async () => {
    const trader = await h.user();
    const security = await h.user(['security']);
    const deposit = { depositId: 'guard-check', asset: 'USD', amount: '10', reason: 'x' };
    const asTrader = await h.request('POST', `/v1/admin/accounts/${trader}/deposits`, trader, deposit);
    expect([asTrader.status, asTrader.body.code]).toEqual([403, 'FORBIDDEN']);
    const asSecurity = await h.request('POST', `/v1/admin/accounts/${trader}/deposits`, security, deposit);
    expect([asSecurity.status, asSecurity.body.code]).toEqual([403, 'FORBIDDEN']);
    const stale = await h.request('POST', `/v1/admin/accounts/${trader}/deposits`, h.adminId, deposit, { 'x-test-stale': '1' });
    expect([stale.status, stale.body.code]).toEqual([403, 'AUTH_STEP_UP_REQUIRED']);
    const anonymous = await h.request('POST', '/v1/admin/kill-switch', null, { scope: 'global', engaged: true });
    expect(anonymous.status).toBe(401);
    // Security operators may pull the kill switch (incident containment), not move money.
    const kill = await h.request('POST', '/v1/admin/kill-switch', security, { scope: 'user', target: trader, engaged: true, reason: 'containment' });
    expect(kill.status).toBe(200);
    expect((await h.request('POST', '/v1/admin/kill-switch', security, { scope: 'user', target: trader, engaged: false })).status).toBe(200);
    const apiKeyAdmin = await h.request('PUT', '/v1/admin/reference-prices/BTC-USD', h.adminId, { price: '1' }, { 'x-test-scopes': 'read,trade,withdraw' });
    expect(apiKeyAdmin.status).toBe(403);
  });

  it('records deposits as audited events and refuses unknown assets, users and malformed amounts', async () => {
    const trader = await h.user();
    const ok = await h.request('POST', `/v1/admin/accounts/${trader}/deposits`, h.adminId, { depositId: `wire-42-${trader}`, asset: 'BTC', amount: '0.12345678', reason: 'wire 42' });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ userId: trader, asset: 'BTC', amount: '0.12345678', balance: { total: '0.12345678', available: '0.12345678', reserved: '0' } });
    expect((await drained()).find((e) => e.type === 'trading.deposit' && e.target === trader)).toMatchObject({ actor: h.adminId, outcome: 'success', details: { asset: 'BTC', reason: 'wire 42' } });
    const bad = [
      [{ depositId: 'bad-1', asset: 'XRP', amount: '1', reason: 'x' }, trader, 400, 'ASSET_UNKNOWN'],
      [{ depositId: 'bad-2', asset: 'BTC', amount: '0.000000001', reason: 'x' }, trader, 400, 'VALIDATION_FAILED'],
      [{ depositId: 'bad-3', asset: 'BTC', amount: '0', reason: 'x' }, trader, 400, 'VALIDATION_FAILED'],
      [{ depositId: 'bad-4', asset: 'BTC', amount: '-1', reason: 'x' }, trader, 400, 'VALIDATION_FAILED'],
      [{ asset: 'BTC', amount: '1', reason: 'no idempotency key' }, trader, 400, 'VALIDATION_FAILED'],
      [{ depositId: 'has spaces', asset: 'BTC', amount: '1', reason: 'x' }, trader, 400, 'VALIDATION_FAILED'],
      [{ depositId: 'bad-5', asset: 'BTC', amount: '1', reason: 'x' }, '00000000-0000-4000-8000-000000000000', 404, 'NOT_FOUND'],
    ] as const;
    for (const [body, userId, status, code] of bad) {
      const res = await h.request('POST', `/v1/admin/accounts/${userId}/deposits`, h.adminId, body);
      expect([res.status, res.body.code]).toEqual([status, code]);
    }
  });

  it('sets and echoes risk limits, refusing unknown symbols and malformed amounts', async () => {
    const trader = await h.user();
    const res = await h.request('PUT', `/v1/admin/risk-limits/${trader}`, h.adminId, { maxOrdersPerSecond: 5, selfTradePrevention: 'cancel-resting', symbols: { 'BTC-USD': { maxPosition: '2.5' } } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ maxOrdersPerSecond: 5, selfTradePrevention: 'cancel-resting', symbols: { 'BTC-USD': { maxPosition: '2.5', maxOrderQuantity: '100' } } });
    expect((await h.request('PUT', `/v1/admin/risk-limits/${trader}`, h.adminId, { symbols: { 'XRP-USD': { maxPosition: '1' } } })).status).toBe(400);
    expect((await h.request('PUT', `/v1/admin/risk-limits/${trader}`, h.adminId, { symbols: { 'BTC-USD': { maxPosition: '0.000000001' } } })).status).toBe(400);
    expect((await drained()).some((e) => e.type === 'trading.risk_limits.updated' && e.target === trader)).toBe(true);
  });
});

describe('withdrawals', () => {
  it('walks the allowlist: not listed, cooling off (owner notified), then allowed with screening recorded as not configured', async () => {
    const user = await h.user();
    await h.deposit(user, 'BTC', '3');
    const withdraw = (amount: string, headers: Record<string, string> = {}) => h.request('POST', '/v1/withdrawals', user, { asset: 'BTC', amount, address: ADDRESS }, headers);

    expect((await withdraw('0.1')).body.code).toBe('WITHDRAWAL_ADDRESS_NOT_ALLOWED');
    const staleAdd = await h.request('POST', '/v1/withdrawals/addresses', user, { asset: 'BTC', address: ADDRESS, label: 'cold' }, { 'x-test-stale': '1' });
    expect(staleAdd.body.code).toBe('AUTH_STEP_UP_REQUIRED');
    const keyAdd = await h.request('POST', '/v1/withdrawals/addresses', user, { asset: 'BTC', address: ADDRESS }, { 'x-test-scopes': 'withdraw' });
    expect(keyAdd.status).toBe(403);

    const added = await h.request('POST', '/v1/withdrawals/addresses', user, { asset: 'BTC', address: ADDRESS, label: 'cold' });
    expect(added.status).toBe(201);
    expect(added.headers['cache-control']).toBe('no-store');
    expect(added.body).toMatchObject({ asset: 'BTC', address: ADDRESS, active: false, activatesAt: new Date(h.clock.now() + 86_400_000).toISOString() });
    expect((await h.request('POST', '/v1/withdrawals/addresses', user, { asset: 'BTC', address: ADDRESS })).body.code).toBe('WITHDRAWAL_ADDRESS_EXISTS');
    expect((await drained()).find((e) => e.type === 'withdrawal.address.added' && e.target === added.body.addressId)?.details).toMatchObject({ notifyOwner: true });
    const stored = await h.platform.db.kysely.selectFrom('withdrawal_addresses').selectAll().where('id', '=', added.body.addressId).executeTakeFirstOrThrow();
    expect(stored.address_ciphertext).not.toContain(ADDRESS.slice(4, 20));
    expect(stored.address_index).not.toContain(ADDRESS);

    const cooling = await withdraw('0.1');
    expect([cooling.status, cooling.body.code]).toEqual([403, 'WITHDRAWAL_ADDRESS_COOLING_OFF']);
    h.clock.advance(86_400_000);
    const stale = await withdraw('0.1', { 'x-test-stale': '1' });
    expect(stale.body.code).toBe('AUTH_STEP_UP_REQUIRED');
    const noScope = await withdraw('0.1', { 'x-test-scopes': 'read,trade' });
    expect(noScope.body.code).toBe('APIKEY_SCOPE_FORBIDDEN');

    const ok = await withdraw('0.1');
    h.clock.advance(1); // distinct creation times, so the list order below is defined
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body).toMatchObject({ asset: 'BTC', amount: '0.1', status: 'pending', screening: 'not-configured', holdReason: null });
    expect((await drained()).some((e) => e.type === 'withdrawal.screening.not_configured' && e.target === user)).toBe(true);
    const viaKey = await withdraw('0.2', { 'x-test-scopes': 'withdraw' });
    h.clock.advance(1);
    expect(viaKey.status).toBe(201);
    expect((await h.request('GET', '/v1/balances', user)).body).toEqual([{ asset: 'BTC', total: '2.7', available: '2.7', reserved: '0' }]);

    const tooMuch = await withdraw('2.8');
    expect(tooMuch.body.code).toBe('RISK_INSUFFICIENT_BALANCE');
    const held = await withdraw('1.5');
    expect(held.body).toMatchObject({ status: 'held', holdReason: 'review-limit' });
    expect((await h.request('GET', '/v1/balances', user)).body).toEqual([{ asset: 'BTC', total: '1.2', available: '1.2', reserved: '0' }]);

    const compliance = await h.user(['compliance']);
    const review = (id: string, decision: string) => h.request('POST', `/v1/admin/withdrawals/${id}/review`, compliance, { decision, reason: 'checked' });
    expect((await review(held.body.withdrawalId, 'reject')).body).toMatchObject({ status: 'rejected' });
    expect((await h.request('GET', '/v1/balances', user)).body).toEqual([{ asset: 'BTC', total: '2.7', available: '2.7', reserved: '0' }]);
    expect((await review(held.body.withdrawalId, 'approve')).body.code).toBe('WITHDRAWAL_NOT_REVIEWABLE');
    const list = await h.request('GET', '/v1/withdrawals', user);
    expect(list.body.map((w: { status: string }) => w.status)).toEqual(['rejected', 'pending', 'pending']);
  });

  it('refuses withdrawals of an account under a kill switch', async () => {
    const user = await h.user();
    await h.deposit(user, 'USD', '100');
    await h.request('POST', '/v1/withdrawals/addresses', user, { asset: 'USD', address: 'acct-0000123456' });
    h.clock.advance(86_400_000);
    await h.request('POST', '/v1/admin/kill-switch', h.adminId, { scope: 'user', target: user, engaged: true, reason: 'suspicious' });
    const res = await h.request('POST', '/v1/withdrawals', user, { asset: 'USD', amount: '10', address: 'acct-0000123456' });
    expect([res.status, res.body.code]).toEqual([403, 'RISK_KILL_SWITCH']);
    expect((await h.request('GET', '/v1/balances', user)).body).toEqual([{ asset: 'USD', total: '100', available: '100', reserved: '0' }]);
  });
});
