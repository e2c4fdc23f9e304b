/** The order context (limits, position, clientOrderId taken) read in one statement, on SQLite and PostgreSQL. */
import { beforeAll, describe, expect, it } from 'vitest';

import { databaseBackends } from '../../../../test/support/backends.js';
import { useMigratedDatabase } from '../../../../test/support/migrated-database.js';
import type { Database } from '../../../lib/db/index.js';
import { readOrderContext } from './order-context.js';

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
});
