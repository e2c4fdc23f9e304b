/**
 * SQLite adapter: better-sqlite3 behind Kysely's SqliteDialect.
 *
 * Settings: WAL (readers do not block the writer), synchronous=NORMAL (durable at checkpoints,
 * safe against corruption in WAL mode), foreign keys enforced, 5 s busy timeout, and
 * `defaultSafeIntegers` so every INTEGER comes back as `bigint` (the integer convention).
 * The file is created with mode 0600 (SQLite gives its -wal/-shm files the same mode).
 *
 * Kysely's SqliteAdapter reports no transactional DDL, so its Migrator would run migrations
 * without a transaction and a failure midway would leave a half-migrated file. SQLite does roll
 * back DDL, so the adapter below says so, and pending migrations apply all-or-nothing as on
 * PostgreSQL. (The flag is read only by the Migrator.)
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import BetterSqlite3 from 'better-sqlite3';
import { SqliteAdapter, SqliteDialect, type DialectAdapter } from 'kysely';

import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';

const MEMORY = ':memory:';

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class Q2SqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

export interface OpenedSqlite {
  readonly dialect: SqliteDialect;
  /** Stops the checkpoint worker, if one runs; call after Kysely released the connection. */
  close(): Promise<void>;
}

export interface SqliteOptions {
  /** Run WAL checkpoints in a worker thread (sqlite-checkpointer.ts). */
  readonly checkpointWorker: boolean;
  /**
   * Start the worker this long after the connection opens. Starting a thread costs ≈ 50 ms, which
   * short-lived handles (CLI commands, tests) would pay for nothing: they close before their WAL
   * reaches SQLite's own 1,000-page checkpoint. A server is past the delay in seconds.
   */
  readonly checkpointWorkerDelayMs: number;
}

export const DEFAULT_SQLITE_OPTIONS: SqliteOptions = { checkpointWorker: true, checkpointWorkerDelayMs: 2_000 };

/** The connection opens on first use; a file database gets its checkpoint worker a little later. */
export function openSqlite(path: string, options: SqliteOptions = DEFAULT_SQLITE_OPTIONS): OpenedSqlite {
  let checkpointer: Promise<Checkpointer | null> = Promise.resolve(null);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const start = (db: BetterSqlite3.Database) => {
    timer = undefined;
    if (closed) return;
    checkpointer = startCheckpointer(resolve(path)).then(
      async (started) => {
        if (closed || !db.open) {
          await started.stop();
          return null;
        }
        // The worker checkpoints from now on; the connection's own automatic checkpoint is only
        // the backstop that bounds the WAL if the worker stops.
        db.pragma('wal_autocheckpoint = 10000'); // FALLBACK_PAGES
        return started;
      },
      () => null, // no worker: SQLite's automatic checkpoints (1,000 pages) stay as they are
    );
  };
  const dialect = new Q2SqliteDialect({
    database: async () => {
      const db = openConnection(path);
      if (path === MEMORY || !options.checkpointWorker) return db;
      timer = setTimeout(() => start(db), options.checkpointWorkerDelayMs);
      timer.unref();
      return db;
    },
  });
  return {
    dialect,
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      await (await checkpointer)?.stop();
    },
  };
}

function openConnection(path: string): BetterSqlite3.Database {
  if (path !== MEMORY) prepareFile(resolve(path));
  const db = new BetterSqlite3(path === MEMORY ? MEMORY : resolve(path));
  try {
    db.defaultSafeIntegers(true);
    // Literal PRAGMA strings: fixed settings, no interpolation.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    return withStatementCache(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Prepared statements kept per connection (least recently used evicted first). */
const STATEMENT_CACHE_SIZE = 512;

/**
 * Kysely's SQLite driver calls `prepare(sql)` for every query, and compiling the SQL was the
 * largest single cost of a hot path such as order placement (≈ 10 % of server CPU). Statements
 * are reusable and Kysely runs one query at a time per connection (a stream holds the
 * connection until it ends), so the same SQL text can share one prepared statement. SQLite
 * re-prepares a cached statement by itself after a schema change.
 */
function withStatementCache(db: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = db.prepare.bind(db);
  const cached = (source: string): BetterSqlite3.Statement => {
    let statement = cache.get(source);
    if (statement) {
      cache.delete(source); // re-inserted below: most recently used last
    } else {
      statement = prepare(source);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    }
    cache.set(source, statement);
    return statement;
  };
  db.prepare = cached as typeof db.prepare;
  return db;
}

/** Creates the parent directory (0700) and the file (0600) before SQLite opens it. */
function prepareFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  // An existing file keeps its mode on open; tighten it as well.
  chmodSync(file, 0o600);
}
