/**
 * The relational store: one `Database` handle over SQLite (better-sqlite3) or PostgreSQL (pg),
 * chosen by URL scheme. Both dialects share the Kysely `Tables` type, the migration registry
 * and the integer convention (integers come back as `bigint`), so the same repository code and
 * the same contract tests run on either.
 */
import { Kysely, Migrator, sql, type Dialect as KyselyDialect, type Migration } from 'kysely';

import { migrations } from './migrations/index.js';
import { openPostgres } from './postgres.js';
import type { Tables } from './schema.js';
import { DEFAULT_SQLITE_OPTIONS, openSqlite } from './sqlite.js';

export interface DatabaseLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DatabaseOptions {
  logger?: DatabaseLogger;
  /** PostgreSQL only: per-statement timeout; default 30 s. */
  statementTimeoutMs?: number;
  /** The migrations `migrate()` applies; default the registry in `./migrations`. */
  migrations?: Readonly<Record<string, Migration>>;
  /**
   * SQLite files only: run WAL checkpoints in a worker thread (sqlite-checkpointer.ts); default
   * true. Helper connections that only read beside a main one (audit verification workers) pass
   * false and leave checkpoints to it.
   */
  checkpointWorker?: boolean;
  /** SQLite files only: start that worker this long after opening; default 2 s (sqlite.ts). */
  checkpointWorkerDelayMs?: number;
}

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  /** Query builder; transactions via `kysely.transaction().execute(fn)`. */
  readonly kysely: Kysely<Tables>;
  readonly dialect: Dialect;
  /**
   * Applies pending migrations from the static registry in order, all in ONE transaction
   * (all-or-nothing on both dialects) under the migrator's lock (on PostgreSQL an advisory
   * lock, so replicas booting together are safe). Idempotent: a second call applies nothing.
   * Rejects with the failing migration's error, leaving the schema as it was.
   */
  migrate(): Promise<{ applied: string[] }>;
  /** Resolves when one round trip to the database succeeds. */
  ping(): Promise<void>;
  /** Releases connections; further use fails. Safe to call twice. */
  close(): Promise<void>;
}

export type DatabaseTarget = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string };

/**
 * Parses a database URL: `sqlite:<path>`, `sqlite::memory:`, `postgres://…` or
 * `postgresql://…`. Any other scheme is a TypeError naming the scheme (never the whole URL,
 * which may carry a password).
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (typeof url !== 'string' || url.length === 0) throw new TypeError('database URL must be a non-empty string');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') {
    const path = url.slice('sqlite:'.length);
    if (path.length === 0) throw new TypeError('sqlite database URL needs a path: sqlite:<path> or sqlite::memory:');
    return { dialect: 'sqlite', path };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') return { dialect: 'postgres', url };
  throw new TypeError(`unsupported database URL scheme "${scheme ?? '(none)'}": use sqlite: or postgres://`);
}

/** Opens (but does not migrate) the database named by `url`. */
export async function createDatabase(url: string, options: DatabaseOptions = {}): Promise<Database> {
  const target = parseDatabaseUrl(url);
  const { logger } = options;
  let dialect: KyselyDialect;
  let closeDialect = async (): Promise<void> => {};
  if (target.dialect === 'sqlite') {
    const opened = openSqlite(target.path, {
      checkpointWorker: options.checkpointWorker ?? DEFAULT_SQLITE_OPTIONS.checkpointWorker,
      checkpointWorkerDelayMs: options.checkpointWorkerDelayMs ?? DEFAULT_SQLITE_OPTIONS.checkpointWorkerDelayMs,
    });
    dialect = opened.dialect;
    closeDialect = opened.close;
  } else {
    dialect = openPostgres(target.url, { logger, statementTimeoutMs: options.statementTimeoutMs ?? 30_000 });
  }
  const kysely = new Kysely<Tables>({ dialect });
  let closed = false;

  const database: Database = {
    kysely,
    dialect: target.dialect,
    async migrate() {
      const registry = { ...(options.migrations ?? migrations) };
      const migrator = new Migrator({ db: kysely, provider: { getMigrations: async () => registry } });
      const { error, results = [] } = await migrator.migrateToLatest();
      const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
      const failed = results.find((r) => r.status === 'Error');
      if (error !== undefined) {
        logger?.error({ migration: failed?.migrationName, err: error }, 'database migration failed');
        throw error instanceof Error ? error : new Error('database migration failed', { cause: error });
      }
      return { applied };
    },
    async ping() {
      await sql`select 1`.execute(kysely);
    },
    async close() {
      if (closed) return;
      closed = true;
      await kysely.destroy();
      await closeDialect();
    },
  };
  return Object.freeze(database);
}
