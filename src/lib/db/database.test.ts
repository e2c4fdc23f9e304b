import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { fromDbBool, fromDbTime, toDbBool, toDbTime } from './codec.js';
import { createDatabase, parseDatabaseUrl } from './database.js';
import { migrations } from './migrations/index.js';

describe('parseDatabaseUrl', () => {
  it.each([
    ['sqlite:data/q2.db', { dialect: 'sqlite', path: 'data/q2.db' }],
    ['sqlite:/var/lib/q2/q2.db', { dialect: 'sqlite', path: '/var/lib/q2/q2.db' }],
    ['sqlite::memory:', { dialect: 'sqlite', path: ':memory:' }],
    ['postgres://u:p@h/db', { dialect: 'postgres', url: 'postgres://u:p@h/db' }],
    ['postgresql://h/db', { dialect: 'postgres', url: 'postgresql://h/db' }],
  ])('accepts %s', (url, expected) => {
    expect(parseDatabaseUrl(url)).toEqual(expected);
  });

  it.each(['mysql://root:secret@h/db', 'file:q2.db', 'q2.db', ''])('rejects %j with a TypeError', (url) => {
    expect(() => parseDatabaseUrl(url)).toThrow(TypeError);
  });

  it('names the scheme but never echoes the URL (it may hold a password)', () => {
    expect(() => parseDatabaseUrl('mysql://root:hunter2@h/db')).toThrow(/"mysql"/);
    expect(() => parseDatabaseUrl('mysql://root:hunter2@h/db')).not.toThrow(/hunter2/);
  });

  it('rejects sqlite: without a path', () => {
    expect(() => parseDatabaseUrl('sqlite:')).toThrow(TypeError);
  });
});

describe('createDatabase on SQLite', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('creates missing parent directories and a database file readable only by its owner', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'q2-db-'));
    dirs.push(dir);
    const file = join(dir, 'nested', 'deeper', 'q2.db');
    const db = await createDatabase(`sqlite:${file}`);
    await db.migrate();
    const mode = (await stat(file)).mode & 0o777;
    const walMode = (await stat(`${file}-wal`)).mode & 0o777;
    await db.close();
    expect(mode).toBe(0o600);
    expect(walMode).toBe(0o600);
  });

  it('applies WAL, NORMAL sync, foreign keys and a busy timeout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'q2-db-'));
    dirs.push(dir);
    const db = await createDatabase(`sqlite:${join(dir, 'q2.db')}`);
    const { sql } = await import('kysely');
    const read = async (name: 'journal_mode' | 'synchronous' | 'foreign_keys' | 'busy_timeout') => {
      const pragma = { journal_mode: sql`pragma journal_mode`, synchronous: sql`pragma synchronous`, foreign_keys: sql`pragma foreign_keys`, busy_timeout: sql`pragma busy_timeout` }[name];
      const result = await pragma.execute(db.kysely);
      return Object.values(result.rows[0] as Record<string, unknown>)[0];
    };
    expect(await read('journal_mode')).toBe('wal');
    expect(await read('synchronous')).toBe(1n); // NORMAL
    expect(await read('foreign_keys')).toBe(1n);
    expect(await read('busy_timeout')).toBe(5000n);
    await db.close();
  });

  it('opens an in-memory database', async () => {
    const db = await createDatabase('sqlite::memory:');
    await expect(db.migrate()).resolves.toEqual({ applied: Object.keys(migrations) });
    await db.close();
    await expect(db.close()).resolves.toBeUndefined();
  });
});

describe('migration registry', () => {
  it('names migrations NNNN_snake_case with unique, gap-free numbers in ascending key order', () => {
    const names = Object.keys(migrations);
    expect(names.length).toBeGreaterThan(0);
    names.forEach((name, i) => {
      expect(name).toMatch(/^\d{4}_[a-z0-9_]+$/);
      expect(Number(name.slice(0, 4))).toBe(i + 1);
    });
    expect([...names].sort()).toEqual(names);
  });
});

describe('integer convention codecs', () => {
  it('maps booleans to 0n/1n and back', () => {
    expect(toDbBool(true)).toBe(1n);
    expect(toDbBool(false)).toBe(0n);
    expect(fromDbBool(1n)).toBe(true);
    expect(fromDbBool(0n)).toBe(false);
  });

  it('refuses to read anything but 0 or 1 as a boolean', () => {
    expect(() => fromDbBool(2n)).toThrow(TypeError);
  });

  it('maps millisecond times to bigint and back, refusing fractions', () => {
    expect(fromDbTime(toDbTime(1_767_225_600_123))).toBe(1_767_225_600_123);
    expect(() => toDbTime(1.5)).toThrow(TypeError);
    expect(() => fromDbTime(2n ** 60n)).toThrow(TypeError);
  });
});
