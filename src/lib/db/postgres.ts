/**
 * PostgreSQL adapter: a `pg` Pool behind Kysely's PostgresDialect.
 *
 * int8 (bigint, count(*)) is parsed to JS `bigint` through a TypeOverrides object given to
 * this Pool only, so other pg users in the process keep the library defaults. Every statement
 * carries a server-side `statement_timeout`.
 */
import pg from 'pg';
import { PostgresDialect } from 'kysely';

import type { DatabaseLogger } from './database.js';

const POOL_MAX = 10;

export function openPostgres(
  url: string,
  options: { logger: DatabaseLogger | undefined; statementTimeoutMs: number },
): PostgresDialect {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (text: string) => BigInt(text));

  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_MAX,
    statement_timeout: options.statementTimeoutMs,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    types,
  });
  // An idle client losing its connection emits here; without a listener it would crash the process.
  pool.on('error', (err) => {
    options.logger?.error({ err: { message: err.message } }, 'postgres idle client error');
  });
  return new PostgresDialect({ pool });
}
