/**
 * Guard: SQL in src/ is built only by Kysely's builder or its parameterised `sql` tag. The
 * scanner walks the TypeScript AST of every non-test source file and flags the ways SQL gets
 * built from strings. Its own precision is pinned by the good/bad samples below.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Statement shapes, matched on literal text with interpolations replaced by `?`. Tight enough
 * that English messages ("cannot update x: set it first", "select a file from …") pass.
 */
const SQL_SHAPES: readonly RegExp[] = [
  /\bselect\s+[\w".*?(),]+\s+from\s+[\w".?]+/i, // on compacted text, see below
  /\binsert\s+into\s+[\w".?]+/i,
  /\bupdate\s+[\w".?]+\s+set\s+[\w".?]+\s*=/i,
  /\bdelete\s+from\s+[\w".?]+\s+where\b/i,
  /^\s*delete\s+from\s+[\w".?]+\s*;?\s*$/i,
  /\b(drop|create|alter|truncate)\s+(table|database|index|schema|view|role|user)\b/i,
  /\bpragma\s+[\w".?]+\s*=/i,
];
const SQL_CLAUSE = {
  test(text: string): boolean {
    // "a , b" -> "a,b" and no DISTINCT, so a column list is one token for the select shape.
    const compact = text.replace(/\s*,\s*/g, ',').replace(/\bdistinct\s+/gi, '');
    return SQL_SHAPES.some((shape) => shape.test(compact));
  },
};
/** Receivers whose `.exec`/`.prepare` take SQL (better-sqlite3, node:sqlite, drivers). */
const DB_RECEIVER = /(db|database|sqlite|conn|connection|client|pool|trx|tx)$/i;
const RAW_SQL_APIS = new Set(['sql.raw', 'sql.lit', 'CompiledQuery.raw']);

interface Finding {
  line: number;
  rule: string;
  text: string;
}

function literalText(node: ts.Node): string | null {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((s) => `?${s.literal.text}`).join('');
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    return `${literalText(node.left) ?? '?'}${literalText(node.right) ?? '?'}`;
  }
  if (ts.isParenthesizedExpression(node)) return literalText(node.expression);
  return null;
}

/** A string whose content depends on runtime values: interpolation or `+` concatenation. */
function isDynamicString(node: ts.Node): boolean {
  if (ts.isTemplateExpression(node)) return true;
  if (ts.isParenthesizedExpression(node)) return isDynamicString(node.expression);
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const sides = [node.left, node.right];
    return sides.some((s) => literalText(s) !== null) && !sides.every((s) => ts.isStringLiteral(s));
  }
  return false;
}

/** `{ text: \`…${x}\` }` as passed to pg's query(config). */
function hasDynamicTextProperty(node: ts.Node): boolean {
  return (
    ts.isObjectLiteralExpression(node) &&
    node.properties.some(
      (p) => ts.isPropertyAssignment(p) && p.name.getText() === 'text' && isDynamicString(p.initializer),
    )
  );
}

function receiverName(expr: ts.Expression): string {
  if (ts.isIdentifier(expr)) return expr.text;
  if (ts.isPropertyAccessExpression(expr)) return expr.name.text;
  if (ts.isCallExpression(expr)) return receiverName(expr.expression);
  return '';
}

function scanSource(fileName: string, source: string): Finding[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const findings: Finding[] = [];
  const report = (node: ts.Node, rule: string) => {
    const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
    findings.push({ line, rule, text: node.getText(file).slice(0, 120) });
  };

  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const target = node.expression.expression;
      const first = node.arguments[0];
      if (RAW_SQL_APIS.has(`${target.getText(file)}.${method}`)) report(node, `${target.getText(file)}.${method}`);
      if (method === 'unsafe') report(node, '.unsafe(');
      if (method === 'query' && first !== undefined && (isDynamicString(first) || hasDynamicTextProperty(first))) {
        report(node, '.query( with a built string');
      }
      if ((method === 'exec' || method === 'prepare') && first !== undefined && isDynamicString(first)) {
        const sqlish = SQL_CLAUSE.test(literalText(first) ?? '');
        if (!ts.isRegularExpressionLiteral(target) && (sqlish || DB_RECEIVER.test(receiverName(target)))) {
          report(node, `.${method}( with a built string`);
        }
      }
    }
    // Untagged (or non-`sql`-tagged) templates and concatenations that spell a statement.
    const taggedBySql = (n: ts.Node) => ts.isTaggedTemplateExpression(n.parent) && n.parent.tag.getText(file) === 'sql';
    if (ts.isTemplateExpression(node) && !taggedBySql(node) && SQL_CLAUSE.test(literalText(node) ?? '')) {
      report(node, 'SQL in a template literal');
    }
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.PlusToken &&
      !(ts.isBinaryExpression(node.parent) && node.parent.operatorToken.kind === ts.SyntaxKind.PlusToken) &&
      isDynamicString(node) &&
      SQL_CLAUSE.test(literalText(node) ?? '')
    ) {
      report(node, 'SQL built by concatenation');
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return findings;
}

function sourceFiles(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(SRC, f));
}

describe('no string-built SQL in src/', () => {
  it('finds none in any non-test source file', () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(10);
    const problems = files.flatMap((file) =>
      scanSource(file, readFileSync(file, 'utf8')).map((f) => `${relative(SRC, file)}:${f.line} ${f.rule}: ${f.text}`),
    );
    expect(problems).toEqual([]);
  });
});

describe('the SQL scanner', () => {
  const BAD: [string, string][] = [
    ['sql.raw', 'await sql.raw(`select * from ${table}`).execute(db);'],
    ['sql.raw with a constant', "sql.raw('select 1')"],
    ['sql.lit', 'sql`select ${sql.lit(name)}`'],
    ['CompiledQuery.raw', 'CompiledQuery.raw(text)'],
    ['postgres.js unsafe', 'await db.unsafe(query)'],
    ['pool.query template', 'await pool.query(`SELECT * FROM users WHERE id = ${id}`)'],
    ['client.query concat', "await client.query('DELETE FROM t WHERE id = ' + id)"],
    ['query config with built text', 'pool.query({ text: `select * from t where a = ${a}` })'],
    ['exec interpolation', 'db.exec(`DROP TABLE ${name}`)'],
    ['prepare interpolation', 'this.conn.prepare(`select a from t where b = ${b}`)'],
    ['untagged template', 'const q = `update accounts set balance = ${amount} where id = 1`;'],
    ['other tag', 'const q = String.raw`INSERT INTO t VALUES (${v})`;'],
    ['concatenation', "const q = 'SELECT name FROM users WHERE name = \\'' + name + '\\'';"],
    ['pragma interpolation', 'db.pragma(`pragma key = ${k}`)'],
    ['statement at the start', 'const q = `DELETE FROM ${table}`;'],
    ['select count', 'const q = `select count(*) from ${t}`;'],
    ['select list', 'const q = `SELECT DISTINCT id , name,email FROM users WHERE id = ${id}`;'],
  ];
  const GOOD: [string, string][] = [
    ['sql tag', 'await sql`select ${value} as v from t where k = ${key}`.execute(db);'],
    ['builder', "db.selectFrom('settings').selectAll().where('key', '=', key)"],
    ['literal pragma', "db.pragma('journal_mode = WAL')"],
    ['literal exec', "db.exec('create table t (a bigint)')"],
    ['regex exec on a template', 'const m = /x(\\d+)/.exec(`${a}b`);'],
    ['named regex exec', 'const m = PATTERN.exec(`${header},`);'],
    ['query string object', 'request.query.page'],
    ['query with a constant', "pool.query('select 1')"],
    ['english text', 'logger.info(`selected ${n} items from the queue to update`)'],
    ['error text', 'throw new Error(`cannot update ${key}: set it first`)'],
    ['english select', 'hint(`select a file from ${dir}`)'],
    ['english delete', 'log(`will delete from ${cache} when it expires`)'],
  ];

  it.each(BAD)('flags %s', (_name, code) => {
    expect(scanSource('bad.ts', code)).not.toEqual([]);
  });

  it.each(GOOD)('accepts %s', (_name, code) => {
    expect(scanSource('good.ts', code)).toEqual([]);
  });
});
