/**
 * Which real backends the test suites run against.
 *
 * Q2_TEST_DATABASE_URL (an admin PostgreSQL URL) and Q2_TEST_REDIS_URL name them. In CI
 * (CI=true) a missing variable THROWS: the suite fails rather than silently testing less.
 * Outside CI an unset variable falls back to the local default when something answers on its
 * port; otherwise that backend is left out of the list given to `describe.each` (never skipped
 * with .skip/.skipIf, so a report never shows green for cases that did not run).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/** The PostgreSQL admin URL to test against, or null when none is available outside CI. */
export async function testDatabaseUrl(): Promise<string | null> {
  return resolveBackendUrl('Q2_TEST_DATABASE_URL', LOCAL_DATABASE_URL, 5432);
}

/** The Redis URL to test against, or null when none is available outside CI. */
export async function testRedisUrl(): Promise<string | null> {
  return resolveBackendUrl('Q2_TEST_REDIS_URL', LOCAL_REDIS_URL, 6379);
}

async function resolveBackendUrl(variable: string, localDefault: string, defaultPort: number): Promise<string | null> {
  const fromEnv = process.env[variable];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (process.env.CI === 'true') {
    throw new Error(`${variable} must be set when CI=true: backend suites may not be skipped in CI`);
  }
  const url = new URL(localDefault);
  return (await isReachable(url.hostname, Number(url.port || defaultPort))) ? localDefault : null;
}

function isReachable(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface ThrowawayDatabase {
  /** URL of a fresh, empty database. */
  readonly url: string;
  /** Removes the database (and its files); safe to call twice. */
  drop(): Promise<void>;
}

/**
 * Creates `q2_test_<random>` on the server behind `adminUrl` and returns its URL. Close every
 * pool on it before `drop()`; the drop also forces out stragglers.
 */
export async function createThrowawayPostgres(adminUrl: string): Promise<ThrowawayDatabase> {
  const name = `q2_test_${randomBytes(8).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`),
      );
    },
  };
}

async function withAdmin(adminUrl: string, fn: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}

/** A SQLite database file in a fresh temporary directory. */
export async function createThrowawaySqlite(): Promise<ThrowawayDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'q2-test-'));
  return {
    url: `sqlite:${join(dir, 'q2.db')}`,
    drop: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface DatabaseBackend {
  readonly name: 'sqlite' | 'postgres';
  /** Provisions an isolated empty database; call `drop()` in afterAll. */
  provision(): Promise<ThrowawayDatabase>;
}

/** SQLite always; PostgreSQL when available (always in CI). For `describe.each`. */
export async function databaseBackends(): Promise<DatabaseBackend[]> {
  const backends: DatabaseBackend[] = [{ name: 'sqlite', provision: createThrowawaySqlite }];
  const adminUrl = await testDatabaseUrl();
  if (adminUrl !== null) backends.push({ name: 'postgres', provision: () => createThrowawayPostgres(adminUrl) });
  return backends;
}

export interface StateBackend {
  readonly name: 'memory' | 'redis';
  /** Set for the Redis backend. */
  readonly redisUrl?: string;
}

/** In-memory always; Redis when available (always in CI). For `describe.each`. */
export async function stateBackends(): Promise<StateBackend[]> {
  const backends: StateBackend[] = [{ name: 'memory' }];
  const redisUrl = await testRedisUrl();
  if (redisUrl !== null) backends.push({ name: 'redis', redisUrl });
  return backends;
}

/** A key prefix unique to one test run, e.g. `q2test:3f9a…:`. */
export function uniqueKeyPrefix(label = 'q2test'): string {
  return `${label}:${randomBytes(6).toString('hex')}:`;
}
