/**
 * The admin-set reference price (`PUT /v1/admin/reference-prices/{symbol}`): the fallback
 * ReferencePriceSource for symbols without a signed market-data feed. An admin price older than
 * `maxAgeMs` is reported stale, so a forgotten manual price cannot anchor bands forever.
 */
import type { Clock } from '../../../lib/clock/index.js';
import type { Kysely } from 'kysely';
import { prepared } from '../../../lib/db/prepared.js';
import type { Tables } from '../../../lib/db/schema.js';
import type { ReferencePriceQuote, ReferencePriceSource } from '../../../lib/pricing/index.js';
import type { Executor } from '../ledger/accounts.js';

// Read once per order batch: built once (lib/db/prepared.ts).
const selectReference = prepared((db, symbol: string) => db.selectFrom('trading_reference_prices').select(['price', 'updated_at']).where('symbol', '=', symbol));

export function createAdminReferenceSource(deps: { db: Kysely<Tables>; clock: Clock; maxAgeMs: number }): ReferencePriceSource {
  return {
    async quote(symbol): Promise<ReferencePriceQuote> {
      const [row] = (await selectReference(deps.db, symbol)).rows;
      if (!row) return { symbol, price: null, status: 'unknown', updatedAt: null };
      const updatedAt = Number(row.updated_at);
      const status = deps.clock.now() - updatedAt > deps.maxAgeMs ? 'stale' : 'ok';
      return { symbol, price: row.price, status, updatedAt };
    },
  };
}

export async function setAdminReference(db: Executor, symbol: string, price: string, actor: string, now: number): Promise<void> {
  const row = { symbol, price, updated_by: actor, updated_at: BigInt(now) };
  await db.insertInto('trading_reference_prices').values(row)
    .onConflict((oc) => oc.column('symbol').doUpdateSet({ price: row.price, updated_by: row.updated_by, updated_at: row.updated_at }))
    .execute();
}

/**
 * Feed first, admin price as fallback — but only for symbols the feed does not know
 * ('unknown'). A feed that is stale or halted must stay so: falling back would replace a
 * protective refusal with an older, manual price.
 */
export function combineReferenceSources(feed: ReferencePriceSource | undefined, fallback: ReferencePriceSource): ReferencePriceSource {
  if (!feed) return fallback;
  return {
    async quote(symbol) {
      const primary = await feed.quote(symbol);
      return primary.status === 'unknown' ? fallback.quote(symbol) : primary;
    },
  };
}
