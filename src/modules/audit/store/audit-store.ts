/**
 * Storage of the audit log. Atomicity contracts:
 *
 * - `appendBatch(n, build)`: ONE durable transaction. Its first statement advances the single
 *   `audit_state` row by n (`UPDATE … RETURNING`): on PostgreSQL that row lock serialises every
 *   writer on every replica until COMMIT, on SQLite the write takes the database lock. `build`
 *   then sees the committed tail (size, compact range, last leaf) and produces the rows, which
 *   are inserted with the new state in the same transaction. So seqs are gap-free (a rolled-back
 *   batch consumed nothing) and every batch extends exactly the chain the previous one ended.
 * - Readers never lock; the log is append-only, so a keyset page read while writers run sees a
 *   prefix plus possibly newer entries, never a hole (rows and state commit together).
 */
import type { Database } from '../../../lib/db/index.js';
import { AppError } from '../../../lib/errors/index.js';
import type { AuditEntriesTable, AuditNodesTable } from '../../../lib/db/schema.js';
import { CompactRange } from '../merkle/compact-range.js';
import type { SignedTreeHead } from '../log/checkpoint.js';
import { durableTransaction } from './durable.js';
import { fromEntryRow, fromTreeHeadRow, toNumber, toTreeHeadRow, type StoredEntry } from './rows.js';

export interface LogTail {
  size: number;
  range: CompactRange;
  lastLeaf: Buffer;
}

export interface BatchRows {
  entries: AuditEntriesTable[];
  nodes: AuditNodesTable[];
  range: CompactRange;
  lastLeaf: Buffer;
}

export interface AuditStore {
  appendBatch(count: number, now: number, build: (tail: LogTail) => BatchRows): Promise<void>;
  tail(): Promise<LogTail>;
  /** The size recorded in the state row (without decoding the compact range). */
  size(): Promise<number>;
  count(): Promise<number>;
  /** Entries with seq ≥ fromSeq, ascending, at most `limit`. */
  entries(fromSeq: number, limit: number): Promise<StoredEntry[]>;
  entry(seq: number): Promise<StoredEntry | null>;
  /** seq, leaf hash and MAC of seqs [from, to), ascending. */
  leafMacs(from: number, to: number): Promise<{ seq: number; leafHash: Buffer; mac: Buffer }[]>;
  /** Leaf hashes of seqs [from, to), ascending. */
  leafHashes(from: number, to: number): Promise<Buffer[]>;
  /** Stored tile hashes of `level` for indexes [from, to), ascending. */
  nodes(level: number, from: number, to: number): Promise<Buffer[]>;
  insertTreeHead(head: SignedTreeHead): Promise<void>;
  treeHeadAt(size: number): Promise<SignedTreeHead | null>;
  /** Up to `limit` heads with tree_size < below, newest first. */
  treeHeadsBelow(below: number, limit: number): Promise<SignedTreeHead[]>;
  /** Heads with from < tree_size ≤ to, ascending. */
  treeHeads(from: number, to: number): Promise<SignedTreeHead[]>;
}

/** A state row whose compact range does not fit its size was altered outside the logger. */
function decodeRange(size: number, bytes: Buffer): CompactRange {
  try {
    return CompactRange.deserialize(size, bytes);
  } catch (error) {
    throw new AppError('AUDIT_LOG_CORRUPT', 'The audit state row is damaged; run the audit verification.', { cause: error });
  }
}

/** Rows per INSERT: 11 columns × 500 stays well under SQLite's 32,766 bound parameters. */
const INSERT_CHUNK = 500;

/** The read side, safe to hand out (tools, tests, other features): no way to write through it. */
export type AuditReader = Pick<AuditStore, 'size' | 'count' | 'entries' | 'entry' | 'treeHeadAt' | 'treeHeads'>;

export function createAuditStore(db: Database): AuditStore {
  const { kysely } = db;

  async function readTail(): Promise<LogTail> {
    const row = await kysely.selectFrom('audit_state').select(['size', 'frontier', 'last_leaf']).where('id', '=', 1n).executeTakeFirst();
    if (row === undefined) throw new Error('audit_state row is missing: the audit migration did not run');
    const size = toNumber(row.size, 'audit size');
    return { size, range: decodeRange(size, row.frontier), lastLeaf: row.last_leaf };
  }

  return {
    async appendBatch(count, now, build) {
      await durableTransaction(db, async (trx) => {
        const locked = await trx.updateTable('audit_state')
          .set((eb) => ({ size: eb('size', '+', BigInt(count)), updated_at: BigInt(now) }))
          .where('id', '=', 1n)
          .returning(['size', 'frontier', 'last_leaf'])
          .executeTakeFirst();
        if (locked === undefined) throw new Error('audit_state row is missing: the audit migration did not run');
        const size = toNumber(locked.size, 'audit size') - count;
        const rows = build({ size, range: decodeRange(size, locked.frontier), lastLeaf: locked.last_leaf });
        for (let at = 0; at < rows.entries.length; at += INSERT_CHUNK) {
          await trx.insertInto('audit_entries').values(rows.entries.slice(at, at + INSERT_CHUNK)).execute();
        }
        if (rows.nodes.length > 0) await trx.insertInto('audit_nodes').values(rows.nodes).execute();
        await trx.updateTable('audit_state')
          .set({ frontier: rows.range.serialize(), last_leaf: rows.lastLeaf })
          .where('id', '=', 1n)
          .execute();
      });
    },

    tail: readTail,

    async size() {
      const row = await kysely.selectFrom('audit_state').select('size').where('id', '=', 1n).executeTakeFirst();
      if (row === undefined) throw new Error('audit_state row is missing: the audit migration did not run');
      return toNumber(row.size, 'audit size');
    },

    async count() {
      const { n } = await kysely.selectFrom('audit_entries').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow();
      return toNumber(BigInt(n), 'count');
    },

    async entries(fromSeq, limit) {
      const rows = await kysely.selectFrom('audit_entries').selectAll()
        .where('seq', '>=', BigInt(fromSeq)).orderBy('seq').limit(limit).execute();
      return rows.map(fromEntryRow);
    },

    async entry(seq) {
      const row = await kysely.selectFrom('audit_entries').selectAll().where('seq', '=', BigInt(seq)).executeTakeFirst();
      return row === undefined ? null : fromEntryRow(row);
    },

    async leafMacs(from, to) {
      const rows = await kysely.selectFrom('audit_entries').select(['seq', 'leaf_hash', 'mac'])
        .where('seq', '>=', BigInt(from)).where('seq', '<', BigInt(to)).orderBy('seq').execute();
      return rows.map((r) => ({ seq: toNumber(r.seq, 'seq'), leafHash: r.leaf_hash, mac: r.mac }));
    },

    async leafHashes(from, to) {
      const rows = await kysely.selectFrom('audit_entries').select(['leaf_hash'])
        .where('seq', '>=', BigInt(from)).where('seq', '<', BigInt(to)).orderBy('seq').execute();
      return rows.map((r) => r.leaf_hash);
    },

    async nodes(level, from, to) {
      const rows = await kysely.selectFrom('audit_nodes').select(['hash'])
        .where('level', '=', BigInt(level)).where('idx', '>=', BigInt(from)).where('idx', '<', BigInt(to))
        .orderBy('idx').execute();
      return rows.map((r) => r.hash);
    },

    async insertTreeHead(head) {
      // Two replicas may sign the same size: the first stored head stands.
      await kysely.insertInto('audit_tree_heads').values(toTreeHeadRow(head))
        .onConflict((oc) => oc.column('tree_size').doNothing()).execute();
    },

    async treeHeadAt(size) {
      const row = await kysely.selectFrom('audit_tree_heads').selectAll().where('tree_size', '=', BigInt(size)).executeTakeFirst();
      return row === undefined ? null : fromTreeHeadRow(row);
    },

    async treeHeadsBelow(below, limit) {
      const rows = await kysely.selectFrom('audit_tree_heads').selectAll()
        .where('tree_size', '<', BigInt(below)).orderBy('tree_size', 'desc').limit(limit).execute();
      return rows.map(fromTreeHeadRow);
    },

    async treeHeads(from, to) {
      const rows = await kysely.selectFrom('audit_tree_heads').selectAll()
        .where('tree_size', '>', BigInt(from)).where('tree_size', '<=', BigInt(to)).orderBy('tree_size').execute();
      return rows.map(fromTreeHeadRow);
    },
  };
}
