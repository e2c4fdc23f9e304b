/**
 * Time-ordered identifiers in the UUID version 7 layout (RFC 9562 §5.7): 48 bits of Unix time
 * in milliseconds, then the version, then 74 random bits.
 *
 * Why: rows keyed by random v4 UUIDs land on random pages of their primary-key index, so every
 * transaction dirties (and SQLite's WAL rewrites) many scattered pages; with ids that start with
 * the time, new rows append to the right edge of the index. On the order path this is most of
 * the cost of inserting journal and order rows. The ids stay unguessable (74 random bits from
 * `randomUUID`, i.e. the CSPRNG) but reveal their creation time to the millisecond, which every
 * row that uses them also stores in `created_at`.
 */
import { randomUUID } from 'node:crypto';

const MAX_TIME = 2 ** 48;

/** A version 7 UUID for `nowMs` (default: the wall clock). */
export function orderedId(nowMs: number = Date.now()): string {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0 || nowMs >= MAX_TIME) throw new RangeError('orderedId: time out of range');
  const time = nowMs.toString(16).padStart(12, '0');
  // randomUUID(): xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx with V ∈ 8..b (the RFC variant). Its
  // random digits after the version nibble become rand_a and rand_b; the time replaces the rest.
  const random = randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}
