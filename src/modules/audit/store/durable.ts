/**
 * A transaction whose COMMIT returns only once the data is on stable storage. This is what lets
 * the logger acknowledge an entry "only once durable", and it is the one place that knows the
 * dialects differ:
 *
 * - SQLite runs WAL with synchronous=NORMAL (docs/storage.md): a commit survives a process crash
 *   but not a power cut. For an audit batch we switch the connection to FULL (the WAL is fsynced
 *   at every commit) and back. Kysely drives one better-sqlite3 connection behind a mutex, and we
 *   hold it for the whole sequence, so no other query runs under the changed setting unawares.
 * - PostgreSQL: `SET LOCAL synchronous_commit = on` makes this transaction wait for the WAL flush
 *   even if the server or role default was relaxed.
 *
 * One fsync per batch, not per entry: that is the whole point of group commit.
 */
import { sql, type Kysely, type Transaction } from 'kysely';

import type { Database } from '../../../lib/db/index.js';
import type { Tables } from '../../../lib/db/schema.js';

export async function durableTransaction<T>(db: Database, work: (trx: Transaction<Tables>) => Promise<T>): Promise<T> {
  if (db.dialect === 'postgres') {
    return db.kysely.transaction().execute(async (trx) => {
      await sql`set local synchronous_commit = on`.execute(trx);
      return work(trx);
    });
  }
  return db.kysely.connection().execute(async (conn) => {
    const before = await sql<{ synchronous: bigint }>`pragma synchronous`.execute(conn);
    await sql`pragma synchronous = FULL`.execute(conn);
    try {
      return await conn.transaction().execute(work);
    } finally {
      await restoreSynchronous(conn, before.rows[0]?.synchronous);
    }
  });
}

/** PRAGMA takes no bound parameters, so each possible earlier value has its own literal statement. */
async function restoreSynchronous(conn: Kysely<Tables>, value: bigint | undefined): Promise<void> {
  if (value === 0n) await sql`pragma synchronous = OFF`.execute(conn);
  else if (value === 1n) await sql`pragma synchronous = NORMAL`.execute(conn);
  else if (value === 3n) await sql`pragma synchronous = EXTRA`.execute(conn);
  // 2 (FULL) is what we set; nothing to restore.
}
