/**
 * Book ownership leases with fencing, in the database (PostgreSQL when replicas share one).
 *
 * A lease row per symbol names the owning replica, an expiry, and a fence number that grows by
 * one at every acquisition. The owner proves ownership INSIDE each write transaction with a
 * conditional update on its (owner, fence) pair — which also row-locks the lease until commit.
 * So a new owner's acquisition waits for any in-flight write of the old owner, and once it has
 * committed, every later write of the old owner finds the wrong fence and rolls back: a paused
 * or partitioned old owner cannot write after losing the lease, whatever the clocks say.
 * Clocks only decide WHEN a lease may be taken over (liveness), never whether a write is safe.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Tables } from '../../../lib/db/schema.js';
import type { Fence } from '../orders/worker.js';

export interface Lease {
  readonly symbol: string;
  readonly owner: string;
  readonly fence: bigint;
  readonly expiresAt: number;
}

export class LeaseLostError extends Error {
  constructor(symbol: string) {
    super(`lost the book lease of ${symbol}`);
    this.name = 'LeaseLostError';
  }
}

export async function readLease(db: Kysely<Tables>, symbol: string): Promise<Lease | null> {
  const row = await db.selectFrom('trading_book_leases').selectAll().where('symbol', '=', symbol).executeTakeFirst();
  return row ? { symbol, owner: row.owner, fence: row.fence, expiresAt: Number(row.expires_at) } : null;
}

/** Takes the lease if it is free, expired, or already ours; returns the new fence or null. */
export async function tryAcquire(db: Kysely<Tables>, symbol: string, owner: string, now: number, ttlMs: number): Promise<bigint | null> {
  await db.insertInto('trading_book_leases').values({ symbol, owner: '', fence: 0n, expires_at: 0n })
    .onConflict((oc) => oc.column('symbol').doNothing()).execute();
  const row = await db.updateTable('trading_book_leases')
    .set((eb) => ({ owner, fence: eb('fence', '+', 1n), expires_at: BigInt(now + ttlMs) }))
    .where('symbol', '=', symbol)
    .where((eb) => eb.or([eb('expires_at', '<=', BigInt(now)), eb('owner', '=', ''), eb('owner', '=', owner)]))
    .returning('fence').executeTakeFirst();
  return row?.fence ?? null;
}

/** Extends our lease; false when it is no longer ours (another replica took it over). */
export async function renewLease(db: Kysely<Tables>, lease: { symbol: string; owner: string; fence: bigint }, now: number, ttlMs: number): Promise<boolean> {
  const result = await db.updateTable('trading_book_leases').set({ expires_at: BigInt(now + ttlMs) })
    .where('symbol', '=', lease.symbol).where('owner', '=', lease.owner).where('fence', '=', lease.fence).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Gives the lease up at once (graceful shutdown), so another replica need not wait for expiry. */
export async function releaseLease(db: Kysely<Tables>, lease: { symbol: string; owner: string; fence: bigint }): Promise<void> {
  await db.updateTable('trading_book_leases').set({ owner: '', expires_at: 0n })
    .where('symbol', '=', lease.symbol).where('owner', '=', lease.owner).where('fence', '=', lease.fence).execute();
}

/** The in-transaction ownership proof a symbol worker runs before every write. */
export function leaseFence(lease: { symbol: string; owner: string; fence: bigint }): Fence {
  return {
    async check(trx: Transaction<Tables>) {
      const result = await trx.updateTable('trading_book_leases').set((eb) => ({ fence: eb.ref('fence') }))
        .where('symbol', '=', lease.symbol).where('owner', '=', lease.owner).where('fence', '=', lease.fence).executeTakeFirst();
      if (result.numUpdatedRows !== 1n) throw new LeaseLostError(lease.symbol);
    },
  };
}
