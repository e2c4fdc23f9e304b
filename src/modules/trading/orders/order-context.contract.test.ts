/** The order context (limits, position, clientOrderId taken) read in one statement, on SQLite and PostgreSQL. */
import { beforeAll, describe, expect, it } from 'vitest';

import { databaseBackends } from '../../../../test/support/backends.js';
import { useMigratedDatabase } from '../../../../test/support/migrated-database.js';
import type { Database } from '../../../lib/db/index.js';
import { readOrderAccountState, readOrderContext } from './order-context.js';

const backends = await databaseBackends();

describe.each(backends)('readOrderContext on $name', (backend) => {
  const database = useMigratedDatabase(backend);
  let db: Database;

  beforeAll(async () => {
    db = database();
    await db.kysely.insertInto('trading_risk_limits').values({ user_id: 'alice', limits: JSON.stringify({ maxOrdersPerSecond: 7, symbols: { 'BTC-USD': { maxPosition: '1.5' } } }), updated_by: 'admin', updated_at: 1n }).execute();
    await db.kysely.insertInto('trading_positions').values([
      { user_id: 'alice', symbol: 'BTC-USD', quantity: -12_345n, updated_at: 1n },
      { user_id: 'bob', symbol: 'BTC-USD', quantity: 99n, updated_at: 1n },
    ]).execute();
    await db.kysely.insertInto('trading_balances').values([
      { user_id: 'alice', asset: 'BTC', total: 500n, reserved: 120n, updated_at: 1n },
      { user_id: 'alice', asset: 'USD', total: 9_000n, reserved: 0n, updated_at: 1n },
      { user_id: 'alice', asset: 'ETH', total: 77n, reserved: 7n, updated_at: 1n },
      { user_id: 'bob', asset: 'USD', total: 1n, reserved: 1n, updated_at: 1n },
    ]).execute();
    await db.kysely.insertInto('trading_orders').values({
      id: 'o-1', user_id: 'alice', symbol: 'BTC-USD', client_order_id: 'taken', side: 'buy', type: 'limit', time_in_force: 'GTC', post_only: 0n,
      price: 4_000_000n, quantity: 10n, filled_quantity: 0n, reserved: 0n, status: 'cancelled', seq: 1n, cancel_reason: 'user', created_at: 1n, updated_at: 1n,
    }).execute();
  });

  it('reads the stored limits, the signed position and a taken clientOrderId of this account', async () => {
    expect(await readOrderContext(db.kysely, 'alice', 'BTC-USD', 'taken')).toEqual({
      limits: { maxOrdersPerSecond: 7, symbols: { 'BTC-USD': { maxPosition: '1.5' } } }, position: -12_345n, duplicate: true,
    });
  });

  it('a free clientOrderId, and another account\'s rows never count', async () => {
    expect(await readOrderContext(db.kysely, 'alice', 'BTC-USD', 'fresh')).toMatchObject({ duplicate: false, position: -12_345n });
    expect(await readOrderContext(db.kysely, 'bob', 'BTC-USD', 'taken')).toEqual({ limits: {}, position: 99n, duplicate: false });
  });

  it('an account with no rows at all gets no limits, position 0 and no duplicate', async () => {
    expect(await readOrderContext(db.kysely, 'carol', 'ETH-USD', 'x')).toEqual({ limits: {}, position: 0n, duplicate: false });
  });

  it('reads the context and the two balances in one statement, the same as the separate reads', async () => {
    const state = await readOrderAccountState(db.kysely, 'alice', 'BTC-USD', 'taken', { base: 'BTC', quote: 'USD' }, false);
    expect(state).toEqual({
      ...(await readOrderContext(db.kysely, 'alice', 'BTC-USD', 'taken')),
      balances: new Map([['BTC', { asset: 'BTC', total: 500n, reserved: 120n }], ['USD', { asset: 'USD', total: 9_000n, reserved: 0n }]]),
    });
    // Missing rows are zero; another account's or another asset's rows never count.
    expect((await readOrderAccountState(db.kysely, 'bob', 'BTC-USD', 'x', { base: 'BTC', quote: 'USD' }, false)).balances).toEqual(new Map([
      ['BTC', { asset: 'BTC', total: 0n, reserved: 0n }], ['USD', { asset: 'USD', total: 1n, reserved: 1n }],
    ]));
  });

  // Row locks exist on PostgreSQL only (SQLite has no FOR UPDATE; its writer holds the file lock).
  if (backend.name === 'postgres') {
    it('with row locks reads the same state', async () => {
      const unlocked = await readOrderAccountState(db.kysely, 'alice', 'BTC-USD', 'taken', { base: 'BTC', quote: 'USD' }, false);
      const locked = await db.kysely.transaction().execute((trx) => readOrderAccountState(trx, 'alice', 'BTC-USD', 'taken', { base: 'BTC', quote: 'USD' }, true));
      expect(locked).toEqual(unlocked);
    });
  }
});
