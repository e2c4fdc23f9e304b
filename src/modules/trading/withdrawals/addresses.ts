/**
 * The per-user withdrawal address allowlist. An address is personal data: stored encrypted
 * under the owner's key (`user.<id>`, crypto-shredded on erasure) with a keyed blind index of
 * asset + address for lookup. A new address becomes usable only after the cooling-off period,
 * and its addition is announced to the owner, so a hijacked session cannot add an address and
 * withdraw to it at once.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Tables } from '../../../lib/db/schema.js';
import { AppError } from '../../../lib/errors/index.js';
import type { FieldProtector } from '../../../lib/protect/index.js';

export interface AddressView {
  addressId: string;
  asset: string;
  address: string;
  label: string;
  createdAt: string;
  activatesAt: string;
  active: boolean;
}

export interface AllowlistedAddress {
  id: string;
  activatesAt: number;
}

const INDEX_PURPOSE = 'withdrawal-address';
const fieldContext = (userId: string, id: string) => ({ table: 'withdrawal_addresses', column: 'address', rowId: id, keyId: `user.${userId}` });
const indexInput = (asset: string, address: string) => `${asset}\u0000${address}`;

export function createAddressBook(deps: { db: Kysely<Tables>; protector: FieldProtector; coolingOffMs: number; now(): number }) {
  const { db, protector } = deps;

  async function find(userId: string, asset: string, address: string) {
    const candidates = await protector.blindIndexCandidates(indexInput(asset, address), INDEX_PURPOSE);
    return db.selectFrom('withdrawal_addresses').select(['id', 'activates_at']).where('user_id', '=', userId).where('asset', '=', asset)
      .where('address_index', 'in', candidates).where('removed_at', 'is', null).executeTakeFirst();
  }

  return {
    async add(userId: string, asset: string, address: string, label: string): Promise<AddressView> {
      if (await find(userId, asset, address)) throw new AppError('WITHDRAWAL_ADDRESS_EXISTS', 'This address is already on your allowlist.');
      const id = randomUUID();
      const now = deps.now();
      const activatesAt = now + deps.coolingOffMs;
      await db.insertInto('withdrawal_addresses').values({
        id, user_id: userId, asset, label, created_at: BigInt(now), activates_at: BigInt(activatesAt), removed_at: null,
        address_ciphertext: await protector.encrypt(address, fieldContext(userId, id)),
        address_index: await protector.blindIndex(indexInput(asset, address), INDEX_PURPOSE),
      }).execute();
      return { addressId: id, asset, address, label, createdAt: new Date(now).toISOString(), activatesAt: new Date(activatesAt).toISOString(), active: activatesAt <= now };
    },

    /** The allowlisted entry for this destination, or null. */
    async lookup(userId: string, asset: string, address: string): Promise<AllowlistedAddress | null> {
      const row = await find(userId, asset, address);
      return row ? { id: row.id, activatesAt: Number(row.activates_at) } : null;
    },

    /** The destination of an allowlisted entry in clear (for the payout), removed or not; null if gone. */
    async reveal(userId: string, id: string): Promise<string | null> {
      const row = await db.selectFrom('withdrawal_addresses').select('address_ciphertext').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
      return row ? protector.decrypt(row.address_ciphertext, fieldContext(userId, id)) : null;
    },

    async list(userId: string): Promise<AddressView[]> {
      const rows = await db.selectFrom('withdrawal_addresses').selectAll().where('user_id', '=', userId).where('removed_at', 'is', null).orderBy('created_at').execute();
      const now = deps.now();
      return Promise.all(rows.map(async (row) => ({
        addressId: row.id, asset: row.asset, label: row.label,
        address: await protector.decrypt(row.address_ciphertext, fieldContext(userId, row.id)),
        createdAt: new Date(Number(row.created_at)).toISOString(), activatesAt: new Date(Number(row.activates_at)).toISOString(),
        active: Number(row.activates_at) <= now,
      })));
    },

    async remove(userId: string, id: string): Promise<void> {
      const result = await db.updateTable('withdrawal_addresses').set({ removed_at: BigInt(deps.now()) })
        .where('id', '=', id).where('user_id', '=', userId).where('removed_at', 'is', null).executeTakeFirst();
      if (result.numUpdatedRows !== 1n) throw new AppError('NOT_FOUND', 'Address not found.');
    },
  };
}

export type AddressBook = ReturnType<typeof createAddressBook>;
