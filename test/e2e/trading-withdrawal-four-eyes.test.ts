/**
 * The four-eyes rule of the withdrawal lifecycle over the HTTP API, on each database: the admin
 * who approved a held withdrawal cannot record its payout, nobody reviews or records their own
 * withdrawal, and a refusal changes nothing. Threats: one compromised (or dishonest) admin
 * account that approves a large withdrawal and then marks it paid alone; an admin who trades and
 * waves through their own withdrawal; an approval and a payout record racing past the check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/lib/events/index.js';
import { databaseBackends, testRedisUrl, type ThrowawayDatabase } from '../support/backends.js';
import { startTradingHarness, type TradingHarness } from './trading-harness.js';

const backends = await databaseBackends();
const redisUrl = await testRedisUrl();
const ADDRESS = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq';

describe.each(backends)('four-eyes rule on $name', (backend) => {
  let database: ThrowawayDatabase;
  let h: TradingHarness;
  const events: SecurityEvent[] = [];

  beforeAll(async () => {
    database = await backend.provision();
    h = await startTradingHarness({ Q2_DATABASE_URL: database.url, ...(backend.name === 'postgres' && redisUrl ? { Q2_REDIS_URL: redisUrl } : {}) });
    h.platform.events.subscribe('four-eyes-test', (event) => {
      events.push(event);
    });
  });
  afterAll(async () => {
    await h?.platform.stop();
    await database?.drop();
  });

  /** A held (above the 1 BTC review limit) withdrawal of `owner`, who has 3 BTC and an active address. */
  async function heldWithdrawal(owner: string): Promise<string> {
    await h.deposit(owner, 'BTC', '3');
    expect((await h.request('POST', '/v1/withdrawals/addresses', owner, { asset: 'BTC', address: ADDRESS, label: 'cold' })).status).toBe(201);
    h.clock.advance(86_400_000);
    const held = await h.request('POST', '/v1/withdrawals', owner, { asset: 'BTC', amount: '1.5', address: ADDRESS });
    expect(held.body).toMatchObject({ status: 'held' });
    return held.body.withdrawalId as string;
  }
  const review = (id: string, as: string, decision: 'approve' | 'reject') =>
    h.request('POST', `/v1/admin/withdrawals/${id}/review`, as, { decision, reason: 'source of funds checked' });
  const payout = (id: string, as: string, body: Record<string, unknown>) => h.request('POST', `/v1/admin/withdrawals/${id}/payout`, as, body);
  /** Everything a refusal must leave untouched. */
  async function state(id: string, owner: string) {
    const db = h.platform.db.kysely;
    return {
      withdrawal: await db.selectFrom('withdrawals').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
      balances: (await h.request('GET', '/v1/balances', owner)).body,
      journal: await db.selectFrom('trading_ledger').select(['kind', 'amount']).where('user_id', '=', owner).orderBy('id').execute(),
    };
  }
  const refusals = async (id: string) => {
    await h.platform.events.drain();
    return events.filter((e) => e.target === id && e.type.endsWith('.refused') && e.details.code === 'WITHDRAWAL_FOUR_EYES');
  };

  it('refuses the approver recording the payout (sent or failed) and changes nothing; a second admin records it', async () => {
    const owner = await h.user();
    const id = await heldWithdrawal(owner);
    const approved = await review(id, h.adminId, 'approve');
    expect(approved.body).toMatchObject({ status: 'pending' });
    const before = await state(id, owner);

    for (const body of [{ outcome: 'sent', txId: 'a1b2c3d4e5f6' }, { outcome: 'failed', reason: 'custody refused' }]) {
      const refused = await payout(id, h.adminId, body);
      expect([refused.status, refused.body.code]).toEqual([403, 'WITHDRAWAL_FOUR_EYES']);
    }
    expect(await state(id, owner)).toEqual(before);
    expect((await refusals(id)).map((e) => [e.type, e.actor, e.outcome, e.details.rule])).toEqual([
      ['withdrawal.payout.refused', h.adminId, 'denied', 'approver-records-payout'],
      ['withdrawal.payout.refused', h.adminId, 'denied', 'approver-records-payout'],
    ]);

    const secondAdmin = await h.user(['admin']);
    const sent = await payout(id, secondAdmin, { outcome: 'sent', txId: 'a1b2c3d4e5f6' });
    expect([sent.status, sent.body]).toMatchObject([200, { status: 'sent', txId: 'a1b2c3d4e5f6' }]);
    expect((await h.request('GET', '/v1/balances', owner)).body).toEqual([{ asset: 'BTC', total: '1.5', available: '1.5', reserved: '0' }]);
  });

  it('refuses a reviewer approving or rejecting their own withdrawal, and an admin recording their own payout', async () => {
    const reviewer = await h.user(['admin']);
    const id = await heldWithdrawal(reviewer);
    const before = await state(id, reviewer);
    for (const decision of ['approve', 'reject'] as const) {
      const refused = await review(id, reviewer, decision);
      expect([refused.status, refused.body.code]).toEqual([403, 'WITHDRAWAL_FOUR_EYES']);
    }
    expect(await state(id, reviewer)).toEqual(before);
    expect((await refusals(id)).map((e) => [e.type, e.actor, e.details.decision, e.details.rule])).toEqual([
      ['withdrawal.review.refused', reviewer, 'approve', 'own-withdrawal'],
      ['withdrawal.review.refused', reviewer, 'reject', 'own-withdrawal'],
    ]);

    const compliance = await h.user(['compliance']);
    expect((await review(id, compliance, 'approve')).body).toMatchObject({ status: 'pending' });
    const own = await payout(id, reviewer, { outcome: 'sent', txId: 'f00d' });
    expect([own.status, own.body.code]).toEqual([403, 'WITHDRAWAL_FOUR_EYES']);
    expect((await state(id, reviewer)).withdrawal).toMatchObject({ status: 'pending', tx_ref: null });
    expect((await payout(id, h.adminId, { outcome: 'sent', txId: 'f00d' })).body).toMatchObject({ status: 'sent' });
  });

  it('never lets one admin approve and record the same withdrawal, even when both requests race', async () => {
    const owner = await h.user();
    await h.deposit(owner, 'BTC', '10');
    expect((await h.request('POST', '/v1/withdrawals/addresses', owner, { asset: 'BTC', address: ADDRESS })).status).toBe(201);
    h.clock.advance(86_400_000);
    for (let round = 0; round < 4; round++) {
      const held = await h.request('POST', '/v1/withdrawals', owner, { asset: 'BTC', amount: '1.1', address: ADDRESS });
      const id = held.body.withdrawalId as string;
      const [approved, recorded] = await Promise.all([review(id, h.adminId, 'approve'), payout(id, h.adminId, { outcome: 'sent', txId: `race${round}` })]);
      expect(approved.body).toMatchObject({ status: 'pending' });
      // Before the approval it is not pending yet; after it, the recorder is the approver.
      expect([[409, 'WITHDRAWAL_NOT_PENDING'], [403, 'WITHDRAWAL_FOUR_EYES']]).toContainEqual([recorded.status, recorded.body.code]);
      expect((await state(id, owner)).withdrawal).toMatchObject({ status: 'pending', tx_ref: null });
    }
  });
});
