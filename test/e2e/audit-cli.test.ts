/**
 * `q2 audit verify|export` as an operator runs them (the built binary, config from Q2_*), on
 * SQLite and PostgreSQL: exit 0 on an intact log, exit 1 naming the first bad seq after a tamper,
 * an export that a third party verifies with the documented algorithm alone (implemented below
 * with node:crypto, no Q2 code), `--trusted-head` catching a clean truncation, and the progress
 * bar shown only on a terminal.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { auditCommand } from '../../src/cli/commands/audit.js';
import { loadConfig } from '../../src/lib/config/index.js';
import { createLogger } from '../../src/lib/log/index.js';
import type { AuditCapability } from '../../src/modules/audit/index.js';
import { CompactRange } from '../../src/modules/audit/merkle/compact-range.js';
import { openCore } from '../../src/server/core.js';
import { databaseBackends, type ThrowawayDatabase } from '../support/backends.js';
import { buildCli, runCli } from '../support/cli.js';

beforeAll(() => buildCli(), 180_000);

// ---- an independent verifier, written from docs/audit.md ("Verifying an export") ----
const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.from([1]), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
function verifyExport(text: string, trustedPublicKeyPem: string): { ok: true; size: number } | { ok: false; line: number; why: string } {
  const lines = text.split('\n');
  if (lines.pop() !== '') return { ok: false, line: lines.length, why: 'no final newline' };
  const header = JSON.parse(lines[0]!) as { format: string; checkpoint: string };
  if (header.format !== 'q2-audit-export/1') return { ok: false, line: 0, why: 'format' };
  const [body, sigLine] = header.checkpoint.split('\n\n') as [string, string];
  const [origin, sizeText, rootB64] = body.split('\n') as [string, string, string];
  const m = /^\u2014 (\S+) (\S+)$/.exec(sigLine.trim());
  if (!m || m[1] !== origin) return { ok: false, line: 0, why: 'signature line' };
  const sig = Buffer.from(m[2]!, 'base64');
  const key = createPublicKey(trustedPublicKeyPem);
  const raw = Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url');
  if (!sha256(Buffer.from(`${origin}\n`), Buffer.from([1]), raw).subarray(0, 4).equals(sig.subarray(0, 4))) return { ok: false, line: 0, why: 'key hash' };
  if (!verify(null, Buffer.from(`${body}\n`), key, sig.subarray(4))) return { ok: false, line: 0, why: 'checkpoint signature' };
  const leaves: Buffer[] = [];
  let prev = '0'.repeat(64);
  for (let i = 1; i < lines.length; i++) {
    const entry = JSON.parse(lines[i]!) as { seq: number; prev: string };
    if (entry.seq !== i - 1 || entry.prev !== prev) return { ok: false, line: i, why: 'seq or prev' };
    const leaf = sha256(Buffer.from([0]), Buffer.from(lines[i]!, 'utf8'));
    leaves.push(leaf);
    prev = leaf.toString('hex');
  }
  if (leaves.length !== Number(sizeText)) return { ok: false, line: lines.length, why: 'entry count' };
  if (!mth(leaves).equals(Buffer.from(rootB64, 'base64'))) return { ok: false, line: lines.length, why: 'root' };
  return { ok: true, size: leaves.length };
}

const backends = await databaseBackends();

describe.each(backends)('q2 audit on $name', (backend) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'q2-audit-cli-'));
  let throwaway: ThrowawayDatabase;
  let env: Record<string, string>;
  let publicKeyPem: string;

  /** Opens the core in-process the way `q2 serve` does, to write entries or tamper. */
  async function withCore<T>(run: (audit: AuditCapability, core: Awaited<ReturnType<typeof openCore>>['core']) => Promise<T>): Promise<T> {
    const opened = await openCore(loadConfig(env, dataDir), { logger: createLogger('silent'), collectProcessMetrics: false });
    try {
      return await run(opened.capabilities.find((c) => c.name === 'audit') as AuditCapability, opened.core);
    } finally {
      await opened.close();
    }
  }

  beforeAll(async () => {
    throwaway = await backend.provision();
    env = { Q2_DATA_DIR: dataDir, Q2_DATABASE_URL: throwaway.url };
    publicKeyPem = await withCore(async (audit) => {
      await Promise.all(Array.from({ length: 120 }, (_, i) => audit.logger.append({
        action: 'auth.login', actor: i % 2 ? `user-${i}` : 'carol@example.net', outcome: 'success', ip: '192.0.2.1', details: { i, text: 'ünïcødé ✓ "quoted" \\ slash' },
      })));
      return audit.logger.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    });
  }, 60_000);
  afterAll(async () => {
    await throwaway?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('verify exits 0 on the intact log and prints one summary line', async () => {
    const run = await runCli(['audit', 'verify'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^audit log OK: 12\d entries verified; newest signed tree head: size \d+/);
  });

  it('export writes a new 0600 file that the independent algorithm verifies, and refuses to overwrite it', async () => {
    const out = path.join(dataDir, 'export.jsonl');
    const run = await runCli(['audit', 'export', '--out', out], env);
    expect(run.code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const text = readFileSync(out, 'utf8');
    expect(verifyExport(text, publicKeyPem)).toMatchObject({ ok: true });
    expect(text).not.toMatch(/carol@|192\.0\.2\.1/);
    const again = await runCli(['audit', 'export', '--out', out], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('the independent verifier rejects an export edited after the fact, at the edited line', async () => {
    const run = await runCli(['audit', 'export'], env);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(verifyExport(run.stdout, publicKeyPem)).toMatchObject({ ok: true });
    lines[6] = lines[6]!.replace('"outcome":"success"', '"outcome":"failure"');
    expect(verifyExport(lines.join('\n'), publicKeyPem)).toMatchObject({ ok: false, line: 7 });
    const dropped = run.stdout.split('\n').filter((_, i) => i !== 4).join('\n');
    expect(verifyExport(dropped, publicKeyPem)).toMatchObject({ ok: false, line: 4 });
  });

  it('verify exits 1 with one stderr line naming the first bad seq after an edit in the database', async () => {
    await withCore(async (_audit, core) => {
      await core.db.kysely.updateTable('audit_entries').set({ action: 'auth.logout' }).where('seq', '=', 57n).execute();
    });
    const run = await runCli(['audit', 'verify'], env);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/FAILED at seq 57 \(entry-altered\)/);
    const json = await runCli(['audit', 'verify', '--json'], env);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, firstBadSeq: 57 });
    await withCore(async (_audit, core) => {
      await core.db.kysely.updateTable('audit_entries').set({ action: 'auth.login' }).where('seq', '=', 57n).execute();
    });
    expect((await runCli(['audit', 'verify'], env)).code).toBe(0);
  });

  it('--trusted-head (an earlier export) catches a truncation that also removed the newer heads', async () => {
    const saved = path.join(dataDir, 'before-truncation.jsonl');
    expect((await runCli(['audit', 'export', '--out', saved], env)).code).toBe(0);
    const size = Number(JSON.parse(readFileSync(saved, 'utf8').split('\n')[0]!).treeSize);
    await withCore(async (_audit, core) => {
      // A careful attacker: cut the tail and its heads, and leave the state row consistent.
      const keep = 100n;
      await core.db.kysely.deleteFrom('audit_entries').where('seq', '>=', keep).execute();
      await core.db.kysely.deleteFrom('audit_tree_heads').where('tree_size', '>', keep).execute();
      const leaves = (await core.db.kysely.selectFrom('audit_entries').select('leaf_hash').orderBy('seq').execute()).map((r) => r.leaf_hash);
      const range = CompactRange.empty();
      for (const leaf of leaves) range.append(leaf);
      await core.db.kysely.updateTable('audit_state').set({ size: keep, frontier: range.serialize(), last_leaf: leaves[99]! }).execute();
    });
    const run = await runCli(['audit', 'verify', '--trusted-head', saved], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('FAILED at seq 100 (truncated)');
    expect(size).toBeGreaterThan(100);
    // Without a witness from outside the database a clean cut of the tail and its heads cannot
    // be seen (docs/audit.md, "Limits"); the running server's own memory is such a witness.
    const blind = await runCli(['audit', 'verify'], env);
    expect(blind.stderr).toBe('');
    expect(blind.code).toBe(0);
  });

  it('rejects unknown verbs and options with exit 2', async () => {
    expect((await runCli(['audit', 'shred'], env)).code).toBe(2);
    expect((await runCli(['audit', 'verify', '--fast'], env)).code).toBe(2);
  });
});

describe('progress output', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'q2-audit-tty-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  function io(tty: boolean) {
    const stdout = new PassThrough();
    const stderr = Object.assign(new PassThrough(), { isTTY: tty });
    let out = '';
    let err = '';
    stdout.on('data', (d) => { out += d; });
    stderr.on('data', (d) => { err += d; });
    return { io: { stdout, stderr, stdin: new PassThrough(), env: { Q2_DATA_DIR: dataDir, Q2_LOG_LEVEL: 'silent' } }, out: () => out, err: () => err };
  }

  it('draws a bar on stderr only when stderr is a terminal', async () => {
    const opened = await openCore(loadConfig({ Q2_DATA_DIR: dataDir }, dataDir), { logger: createLogger('silent'), collectProcessMetrics: false });
    const audit = opened.capabilities.find((c) => c.name === 'audit') as AuditCapability;
    await Promise.all(Array.from({ length: 50 }, () => audit.logger.append({ action: 'x', actor: 'system', outcome: 'info' })));
    await opened.close();
    const tty = io(true);
    expect(await auditCommand.run(['verify'], tty.io)).toBe(0);
    expect(tty.err()).toMatch(/\rverifying \[#+\.*\] 100% /);
    const pipe = io(false);
    expect(await auditCommand.run(['verify'], pipe.io)).toBe(0);
    expect(pipe.err()).toBe('');
    expect(pipe.out()).toMatch(/^audit log OK/);
  });
});
