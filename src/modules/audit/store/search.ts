/**
 * Search by time, actor, action and outcome with keyset pagination on `seq` (stable while the
 * log grows, unlike OFFSET). Filters are exact matches on the stored (pseudonymised) values; the
 * caller maps a clear actor to its pseudonym first.
 */
import type { Database } from '../../../lib/db/index.js';
import type { AuditOutcome } from '../entry/types.js';
import { fromEntryRow, type StoredEntry } from './rows.js';

export interface AuditQuery {
  /** Unix ms, inclusive. */
  from?: number;
  /** Unix ms, exclusive. */
  to?: number;
  actor?: string;
  action?: string;
  outcome?: AuditOutcome;
  /** Continue after (asc) or before (desc) this seq: the previous page's `nextCursor`. */
  cursor?: number;
  limit: number;
  order: 'asc' | 'desc';
}

export interface AuditPage {
  entries: StoredEntry[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: number | null;
}

export async function searchEntries(db: Database, query: AuditQuery): Promise<AuditPage> {
  let q = db.kysely.selectFrom('audit_entries').selectAll();
  if (query.from !== undefined) q = q.where('time', '>=', BigInt(query.from));
  if (query.to !== undefined) q = q.where('time', '<', BigInt(query.to));
  if (query.actor !== undefined) q = q.where('actor', '=', query.actor);
  if (query.action !== undefined) q = q.where('action', '=', query.action);
  if (query.outcome !== undefined) q = q.where('outcome', '=', query.outcome);
  if (query.cursor !== undefined) q = q.where('seq', query.order === 'asc' ? '>' : '<', BigInt(query.cursor));
  // One row more than asked tells whether another page exists.
  const rows = await q.orderBy('seq', query.order).limit(query.limit + 1).execute();
  const entries = rows.slice(0, query.limit).map(fromEntryRow);
  const last = entries[entries.length - 1];
  return { entries, nextCursor: rows.length > query.limit && last !== undefined ? last.seq : null };
}
