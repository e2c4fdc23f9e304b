import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';

import { createDatabase, type Database } from './database.js';
import { FALLBACK_PAGES, startCheckpointer } from './sqlite-checkpointer.js';

const dir = mkdtempSync(path.join(tmpdir(), 'q2-checkpointer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached');
}

describe('SQLite checkpoint worker', () => {
  it('copies the WAL into the database file from its own thread while the writer never checkpoints', async () => {
    const file = path.join(dir, 'worker.db');
    const writer = new BetterSqlite3(file);
    writer.pragma('journal_mode = WAL');
    // The writer never checkpoints: whatever reaches the database file was copied by the worker.
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)');
    const sizeBefore = statSync(file).size;
    const checkpointer = await startCheckpointer(file, { intervalMs: 10 });
    try {
      const insert = writer.prepare('INSERT INTO t (payload) VALUES (?)');
      for (let i = 0; i < 300; i++) insert.run(Buffer.alloc(4096, i % 256)); // ≈ 600 pages of WAL (each row overflows a page)
      // Done when a run that started after the last insert found the whole WAL copied.
      const runsAtEnd = (await checkpointer.stats()).runs;
      const stats = await until(() => checkpointer.stats(), (s) => s.runs > runsAtEnd + 1 && s.walFrames > 0 && s.checkpointedFrames === s.walFrames);
      expect(stats.runs).toBeGreaterThan(0);
      expect(stats.errors).toBe(0);
      expect(statSync(file).size).toBeGreaterThan(sizeBefore + 300 * 4096);
      // Everything is in the database file now: a PASSIVE checkpoint by the writer finds nothing left to copy.
      const [row] = writer.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
      expect(row?.log).toBe(row?.checkpointed);
    } finally {
      await checkpointer.stop();
      writer.close();
    }
  });

  it('stops between checkpoints when asked, and later stats calls fail instead of hanging', async () => {
    const file = path.join(dir, 'stop.db');
    const writer = new BetterSqlite3(file);
    writer.pragma('journal_mode = WAL');
    const checkpointer = await startCheckpointer(file, { intervalMs: 5 });
    await checkpointer.stop();
    await expect(checkpointer.stats()).rejects.toThrow(/stopped/);
    writer.close();
  });

  it('refuses to start on a file that does not exist (the caller keeps SQLite\'s own checkpoints)', async () => {
    await expect(startCheckpointer(path.join(dir, 'absent.db'))).rejects.toThrow();
  });

  const autocheckpoint = async (db: Database) =>
    Number((await sql<{ wal_autocheckpoint: bigint }>`pragma wal_autocheckpoint`.execute(db.kysely)).rows[0]?.wal_autocheckpoint);

  it('a file database gets the worker after its delay, and then only a 10,000-page backstop on its own connection', async () => {
    const db = await createDatabase(`sqlite:${path.join(dir, 'platform.db')}`, { checkpointWorkerDelayMs: 50 });
    try {
      // Until the worker runs, SQLite's own checkpoints stay (a short-lived handle never starts a thread).
      expect(await autocheckpoint(db)).toBe(1000);
      await until(() => autocheckpoint(db), (pages) => pages === FALLBACK_PAGES);
      await db.migrate();
      await db.ping();
    } finally {
      await db.close();
    }
  });

  it('a handle closed before the delay keeps SQLite\'s own checkpoints and closes without waiting for the delay', async () => {
    const db = await createDatabase(`sqlite:${path.join(dir, 'short.db')}`, { checkpointWorkerDelayMs: 60_000 });
    await db.ping();
    expect(await autocheckpoint(db)).toBe(1000);
    await db.close();
  });

  it('a helper connection opened with checkpointWorker: false keeps SQLite\'s own checkpoints', async () => {
    const db = await createDatabase(`sqlite:${path.join(dir, 'reader.db')}`, { checkpointWorker: false });
    try {
      const { rows } = await sql<{ wal_autocheckpoint: bigint }>`pragma wal_autocheckpoint`.execute(db.kysely);
      expect(Number(rows[0]?.wal_autocheckpoint)).toBe(1000);
    } finally {
      await db.close();
    }
  });

  it('an in-memory database has no worker and keeps SQLite\'s default', async () => {
    const db = await createDatabase('sqlite::memory:');
    try {
      const { rows } = await sql<{ wal_autocheckpoint: bigint }>`pragma wal_autocheckpoint`.execute(db.kysely);
      expect(Number(rows[0]?.wal_autocheckpoint)).toBe(1000);
    } finally {
      await db.close();
    }
  });
});
