/**
 * Queries built once, executed many times: Kysely's builder and compiler run on the first call
 * (per dialect), later calls only bind new values into the compiled SQL.
 *
 * Why: on the order path, building and compiling about a dozen small statements per order cost
 * more server CPU than SQLite took to execute them (docs/BENCHMARKS.md, trading). The SQL text
 * still comes only from Kysely's compiler — nothing here assembles SQL from strings — and every
 * value is still a bound parameter.
 *
 * How: the builder is called once with placeholder objects in place of its value arguments.
 * Kysely treats them as opaque values and emits one bound parameter for each, in order; the
 * compiled query keeps the placeholders in its `parameters`, and every execution swaps them for
 * that call's arguments. A builder therefore may only pass its arguments into the query as
 * values (`where('id', '=', id)`, `values({ … })`), never branch on them or read them: the
 * query's shape must not depend on the arguments. Constants inside the builder stay constants.
 */
import { createQueryId, SqliteAdapter, type Compilable, type CompiledQuery, type InsertQueryBuilder, type InsertResult, type Kysely, type QueryResult } from 'kysely';

import type { Tables } from './schema.js';

type Executor = Kysely<Tables>;

/** Stands for one value argument while the query is built. */
class Placeholder {
  constructor(readonly pick: (args: readonly unknown[]) => unknown) {}
}

/**
 * One compiled form per dialect adapter (transactions share their database's adapter), so the
 * same prepared query serves SQLite and PostgreSQL databases in one process.
 */
function compiledPerAdapter(compile: (db: Executor) => CompiledQuery): (db: Executor) => CompiledQuery {
  const cache = new WeakMap<object, CompiledQuery>();
  return (db) => {
    // `getExecutor()` is marked internal in Kysely 0.28 (pinned); its adapter identifies the dialect.
    const adapter = db.getExecutor().adapter;
    let compiled = cache.get(adapter);
    if (!compiled) {
      compiled = compile(db);
      cache.set(adapter, compiled);
    }
    return compiled;
  };
}

/**
 * Refuses a builder whose query does not take each argument exactly as a value: an argument it
 * ignored, or one it never received (a builder declared with default or rest parameters has a
 * shorter `length`, so its later arguments would be `undefined` while building).
 */
function checked(compiled: CompiledQuery, placeholders: readonly Placeholder[]): CompiledQuery {
  const used = new Set(compiled.parameters.filter((p) => p instanceof Placeholder));
  if (placeholders.some((p) => !used.has(p)) || compiled.parameters.some((p) => p === undefined)) {
    throw new TypeError(`prepared query does not bind each argument as a value: ${compiled.sql}`);
  }
  return compiled;
}

function bind<R>(compiled: CompiledQuery, args: readonly unknown[]): CompiledQuery<R> {
  return {
    sql: compiled.sql,
    query: compiled.query,
    queryId: createQueryId(),
    parameters: compiled.parameters.map((p) => (p instanceof Placeholder ? p.pick(args) : p)),
  };
}

/**
 * `prepared((db, userId: string) => db.selectFrom('t').selectAll().where('user_id', '=', userId))`
 * returns `(db, userId) => Promise<QueryResult<Row>>`.
 */
export function prepared<A extends unknown[], R>(build: (db: Executor, ...args: A) => Compilable<R>): (db: Executor, ...args: A) => Promise<QueryResult<R>> {
  const placeholders = Array.from({ length: build.length - 1 }, (_, i) => new Placeholder((args) => args[i]));
  const compiled = compiledPerAdapter((db) => checked(build(db, ...(placeholders as unknown as A)).compile(), placeholders));
  return async (db, ...args) => {
    // A default or rest parameter shortens `build.length`: the extra arguments would be ignored.
    if (args.length !== placeholders.length) throw new TypeError(`prepared query takes ${placeholders.length} values, got ${args.length}`);
    return db.executeQuery(bind<R>(compiled(db), args));
  };
}

/**
 * An INSERT of `rows` (all with the same columns), compiled once per row count. `finish` adds
 * constant clauses (`onConflict`, `returning`).
 *
 * PostgreSQL gets one multi-row statement (one round trip). SQLite gets the one-row statement
 * once per row: SQLite runs a multi-row VALUES list as a compound select, which measured about
 * 2.5× slower than the same rows inserted one by one through a prepared statement (44 journal
 * rows: ≈ 480 µs against ≈ 200 µs, docs/BENCHMARKS.md), and an in-process database has no round
 * trip to save. The result sums the rows' `numAffectedRows` and concatenates returned rows.
 */
export function preparedInsert<T extends keyof Tables & string, Row extends object>(
  table: T,
  columns: readonly (keyof Row & string)[],
  finish: (insert: InsertQueryBuilder<Tables, T, InsertResult>) => Compilable<unknown> = (insert) => insert,
): (db: Executor, rows: readonly Row[]) => Promise<QueryResult<unknown>> {
  const byCount = new Map<number, (db: Executor) => CompiledQuery>();
  const compiledFor = (count: number) => {
    let compiled = byCount.get(count);
    if (!compiled) {
      compiled = compiledPerAdapter((executor) => {
        const placeholders: Placeholder[] = [];
        const values = Array.from({ length: count }, (_, r) => Object.fromEntries(columns.map((c) => {
          const placeholder = new Placeholder((args) => (args[r] as Row)[c]);
          placeholders.push(placeholder);
          return [c, placeholder];
        })));
        return checked(finish(executor.insertInto(table).values(values as never)).compile(), placeholders);
      });
      byCount.set(count, compiled);
    }
    return compiled;
  };
  return async (db, rows) => {
    if (rows.length <= 1 || !(db.getExecutor().adapter instanceof SqliteAdapter)) return db.executeQuery(bind(compiledFor(rows.length)(db), rows));
    const one = compiledFor(1)(db);
    const returned: unknown[] = [];
    let affected = 0n;
    for (const row of rows) {
      const result = await db.executeQuery(bind(one, [row]));
      affected += result.numAffectedRows ?? 0n;
      returned.push(...result.rows);
    }
    return { rows: returned, numAffectedRows: affected };
  };
}
