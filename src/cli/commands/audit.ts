/**
 * `q2 audit verify|export` (SPEC §7, §9) — the audit log from the command line, through the same
 * audit capability as the server (config → core → audit logger, keys from the key ring).
 *
 * - `verify [--json] [--trusted-head <file>]`: checks every entry; exit 0 when the log holds,
 *   1 with the first bad seq on stderr when it does not. `--trusted-head` takes a checkpoint note
 *   or an earlier export, kept outside the database, and also catches a truncation that removed
 *   the newer heads too.
 * - `export [--out <file>]`: JSON Lines (docs/audit.md) to stdout or a new 0600 file, with a head
 *   signed for exactly the exported entries.
 *
 * Progress goes to stderr only when stderr is a terminal. Both runs are themselves audited
 * (`audit.verified`, `audit.exported`, actor `cli`).
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';

import { openCore } from '../../server/core.js';
import { parseCheckpointNote, type AuditCapability, type SignedTreeHead } from '../../modules/audit/index.js';
import { loadCliContext } from '../context.js';
import type { CliCommand, CliIo } from '../types.js';

const USAGE = 'usage: q2 audit verify [--json] [--trusted-head <file>] | q2 audit export [--out <file>]';

/** A one-line progress bar redrawn in place, at most ten times a second; silent off a terminal. */
export function progressBar(stream: CliIo['stderr'], label: string): { update(done: number, total: number): void; done(): void } {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number) => {
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * 30);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`);
    drawn = true;
  };
  let latest: [number, number] = [0, 0];
  return {
    update(done, total) {
      latest = [done, total];
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      draw(done, total);
    },
    done() {
      if (drawn || latest[1] > 0) {
        draw(latest[0], latest[1]);
        stream.write('\n');
      }
    },
  };
}

async function readTrustedHead(file: string): Promise<SignedTreeHead> {
  const text = await readFile(file, 'utf8');
  // An export file: the checkpoint is in its header line.
  const note = text.startsWith('{') ? (JSON.parse(text.split('\n', 1)[0] as string) as { checkpoint?: unknown }).checkpoint : text;
  const head = typeof note === 'string' ? parseCheckpointNote(note) : null;
  if (head === null) throw new Error(`${file} holds no audit checkpoint`);
  return head;
}

async function withAudit(io: CliIo, run: (audit: AuditCapability, emit: (e: { type: string; outcome: 'success' | 'failure'; details: Record<string, unknown> }) => void) => Promise<number>): Promise<number> {
  const ctx = loadCliContext(io, 'warn');
  if (!ctx) return 1;
  const opened = await openCore(ctx.config, { logger: ctx.logger, collectProcessMetrics: false });
  try {
    const audit = opened.capabilities.find((c) => c.name === 'audit') as AuditCapability | undefined;
    if (!audit) throw new Error('the audit capability is not configured');
    return await run(audit, (e) => opened.core.events.emit({ ...e, actor: 'cli' }));
  } finally {
    await opened.close();
  }
}

async function verify(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, 'trusted-head': { type: 'string' } } });
  const trustedHead = values['trusted-head'] ? await readTrustedHead(values['trusted-head']) : undefined;
  return withAudit(io, async (audit, emit) => {
    const bar = progressBar(io.stderr, 'verifying');
    const report = await audit.logger.verify({ onProgress: bar.update, ...(trustedHead ? { trustedHead } : {}) });
    bar.done();
    emit({ type: 'audit.verified', outcome: report.ok ? 'success' : 'failure', details: { entries: report.entries, firstBadSeq: report.firstBadSeq ?? null, reason: report.reason ?? null } });
    const head = report.treeHead;
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ ...report, treeHead: head && { treeSize: head.treeSize, rootHash: head.rootHash.toString('hex'), timestamp: head.timestamp } })}\n`);
    }
    if (!report.ok) {
      io.stderr.write(`q2: audit log verification FAILED at seq ${report.firstBadSeq} (${report.reason}): ${report.detail}\n`);
      return 1;
    }
    if (!values.json) {
      const signed = head ? `newest signed tree head: size ${head.treeSize}, ${new Date(head.timestamp).toISOString()}` : 'no signed tree head yet';
      io.stdout.write(`audit log OK: ${report.entries} entries verified; ${signed}\n`);
    }
    return 0;
  });
}

async function exportLog(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } } });
  return withAudit(io, async (audit, emit) => {
    // A new file only (never overwrite), readable by its owner only: it is audit data.
    const out = values.out ? createWriteStream(values.out, { flags: 'wx', mode: 0o600 }) : io.stdout;
    if (values.out) await once(out, 'open');
    const bar = progressBar(io.stderr, 'exporting');
    let header: { treeSize?: number } = {};
    for await (const chunk of audit.logger.export({ onProgress: bar.update })) {
      if (header.treeSize === undefined) header = JSON.parse(chunk) as { treeSize: number };
      if (!out.write(chunk)) await once(out, 'drain');
    }
    bar.done();
    if (values.out) {
      out.end();
      await once(out, 'finish');
    }
    emit({ type: 'audit.exported', outcome: 'success', details: { treeSize: header.treeSize ?? 0, file: values.out ? basename(values.out) : null } });
    io.stderr.write(`exported ${header.treeSize ?? 0} audit entries with a tree head signed at that size${values.out ? ` to ${values.out}` : ''}\n`);
    return 0;
  });
}

export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'audit verify [--json] [--trusted-head <file>] | audit export [--out <file>]',
  async run(argv, io) {
    const [verb, ...rest] = argv;
    try {
      if (verb === 'verify') return await verify(rest, io);
      if (verb === 'export') return await exportLog(rest, io);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const message = code === 'EEXIST' ? `${values(rest)} already exists; choose a new file` : (error as Error).message;
      io.stderr.write(`q2: ${message}\n`);
      return code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ? 2 : 1;
    }
    io.stderr.write(`q2: ${USAGE}\n`);
    return 2;
  },
};

/** The --out value, for the "already exists" message. */
function values(args: readonly string[]): string {
  const at = args.indexOf('--out');
  return at >= 0 ? String(args[at + 1]) : 'the output file';
}
