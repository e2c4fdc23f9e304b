/**
 * `q2 keys status|rotate|rewrap` (SPEC §9) — key-ring administration for src/modules/crypto.
 *
 * Wiring: the command takes its dependencies from a factory that the CLI entry point supplies
 * (config → database → KEK providers → key manager, plus every table with encrypted fields):
 *
 *   createKeysCommand(async () => ({ keyManager, fieldCipher, rewrapTargets, kek, close }))
 *
 * `rewrap` is resumable and safe to interrupt: it first re-wraps DEKs not under the current
 * KEK, then moves every field to its key's primary version in compare-and-swap batches; Ctrl-C
 * stops between batches, and a rerun skips what is done. `--retire` then raises each key's
 * minimum decryption version, only when the pass was complete, conflict-free, and started
 * after the old versions' retire grace (no replica can still encrypt under them).
 */
import { parseArgs } from 'node:util';

import { systemClock, type Clock } from '../../lib/clock/index.js';
import { isAppError } from '../../lib/errors/index.js';
import {
  rewrapFields,
  type FieldCipher,
  type KekProvider,
  type KeyManager,
  type KeyStatus,
  type RewrapProgress,
  type RewrapTarget,
} from '../../modules/crypto/index.js';
import type { CliCommand, CliIo } from '../types.js';

export interface KeysCommandDeps {
  keyManager: KeyManager;
  /** The current KEK provider; needed for `rotate --kek`. */
  kek?: KekProvider;
  /** For `rewrap`: the cipher and every table holding encrypted fields. */
  fieldCipher?: FieldCipher;
  rewrapTargets?: readonly RewrapTarget[];
  /** Key id of the blind-index key (default `blind-index`); retired with the fields it indexes. */
  blindIndexKeyId?: string;
  clock?: Clock;
  close(): Promise<void>;
}

const USAGE = 'usage: q2 keys status [--json] | rotate <keyId…> | rotate --all|--due|--kek | rewrap [--deks-only] [--retire] [--batch-size N]';

function formatAge(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours}h` : `${Math.floor(hours / 24)}d`;
}

function printStatus(io: CliIo, keys: KeyStatus[], kek: ReturnType<KeyManager['currentKek']>): void {
  io.stdout.write(`current KEK: ${kek.provider} ${kek.label} (v${kek.version})\n`);
  const rows = [['KEY', 'VERSION', 'STATE', 'USES', 'AGE', 'KEK', 'ROTATE']];
  for (const key of keys) {
    if (key.destroyed) rows.push([key.keyId, '-', 'destroyed', '-', '-', '-', '-']);
    for (const v of key.versions) {
      rows.push([v.keyId, `v${v.version}`, v.state, String(v.usageCount), formatAge(v.ageMs), v.kekLabel, v.rotationDue ? `due (${v.rotationDue})` : '']);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const row of rows) io.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
}

function progressBar(io: CliIo): (p: RewrapProgress) => void {
  if (!io.stderr.isTTY) return () => undefined;
  return (p) => {
    const fraction = p.total === 0 ? 1 : Math.min(1, p.scanned / p.total);
    const filled = Math.round(fraction * 30);
    io.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${p.table} ${p.scanned}/${p.total} (${p.rewritten} rewrapped)`);
    if (p.scanned >= p.total) io.stderr.write('\n');
  };
}

async function rotate(io: CliIo, deps: KeysCommandDeps, positionals: string[], flags: { all?: boolean; due?: boolean; kek?: boolean }): Promise<number> {
  if (flags.kek) {
    if (!deps.kek?.rotate) {
      io.stderr.write('q2 keys: this KEK provider cannot rotate; switch master keys with a rewrap (docs/crypto.md)\n');
      return 1;
    }
    const next = await deps.kek.rotate();
    io.stdout.write(`KEK rotated: ${next.label} (v${next.version}); run "q2 keys rewrap --deks-only" to re-wrap data keys\n`);
    return 0;
  }
  if (flags.due) {
    const rotated = await deps.keyManager.rotateDue();
    for (const r of rotated) io.stdout.write(`${r.keyId}: rotated to v${r.version} (${r.reason})\n`);
    if (rotated.length === 0) io.stdout.write('no key is due for rotation\n');
    return 0;
  }
  const keyIds = flags.all ? (await deps.keyManager.status()).filter((k) => !k.destroyed).map((k) => k.keyId) : positionals;
  if (keyIds.length === 0) {
    io.stderr.write(`q2 keys: name the keys to rotate, or --all / --due / --kek\n${USAGE}\n`);
    return 2;
  }
  for (const keyId of keyIds) io.stdout.write(`${keyId}: rotated to v${await deps.keyManager.rotate(keyId)}\n`);
  io.stdout.write('old versions stay readable (decrypt-only); run "q2 keys rewrap" to move data forward\n');
  return 0;
}

/** Highest minimum decryption version that only retires versions demoted a full grace before `startedAt`. */
function safeMinimum(key: KeyStatus, graceMs: number, startedAt: number): number {
  let min = key.minDecryptionVersion;
  for (const v of key.versions) {
    if (v.version < min || v.primary) continue;
    if (v.demotedAt === undefined || v.demotedAt + graceMs > startedAt) break;
    min = v.version + 1;
  }
  return min;
}

async function rewrap(io: CliIo, deps: KeysCommandDeps, flags: { 'deks-only'?: boolean; retire?: boolean; 'batch-size'?: string }): Promise<number> {
  const deks = await deps.keyManager.rewrapDeks();
  io.stdout.write(`data keys: ${deks.rewrapped} re-wrapped under the current KEK, ${deks.alreadyCurrent} already current\n`);
  if (flags['deks-only']) return 0;
  if (!deps.fieldCipher || !deps.rewrapTargets) {
    io.stderr.write('q2 keys: no encrypted tables are registered for rewrap\n');
    return 1;
  }
  const batchSize = flags['batch-size'] === undefined ? 500 : Number(flags['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    io.stderr.write('q2 keys: --batch-size must be an integer between 1 and 100000\n');
    return 2;
  }
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  let report;
  try {
    report = await rewrapFields({
      targets: deps.rewrapTargets,
      fieldCipher: deps.fieldCipher,
      clock: deps.clock ?? systemClock,
      batchSize,
      signal: controller.signal,
      onProgress: progressBar(io),
    });
  } finally {
    process.removeListener('SIGINT', interrupt);
  }
  io.stdout.write(`fields: ${report.scanned} rows scanned, ${report.rewritten} rewrapped, ${report.conflicts} changed concurrently\n`);
  if (report.failed > 0) {
    io.stderr.write(`q2 keys: ${report.failed} rows could not be decrypted and were left as they are (first: ${report.failedRowIds.slice(0, 5).join(', ')}); nothing was retired\n`);
    return 1;
  }
  if (!report.complete) {
    io.stderr.write('q2 keys: rewrap interrupted; nothing is half-written, run it again to continue\n');
    return 130;
  }
  if (!flags.retire) return 0;
  if (report.conflicts > 0) {
    io.stdout.write('not retiring: rows changed during the pass; run "q2 keys rewrap --retire" again\n');
    return 0;
  }
  const keyIds = new Set(report.keyIds);
  if (deps.rewrapTargets.some((t) => Object.values(t.table.columns).some((c) => c.blindIndex))) keyIds.add(deps.blindIndexKeyId ?? 'blind-index');
  const status = await deps.keyManager.status();
  for (const key of status.filter((k) => keyIds.has(k.keyId) && !k.destroyed)) {
    const min = safeMinimum(key, deps.keyManager.retireGraceMs, report.startedAt);
    if (min > key.minDecryptionVersion) {
      await deps.keyManager.retire(key.keyId, min);
      io.stdout.write(`${key.keyId}: versions below v${min} retired\n`);
    } else if (key.primaryVersion > key.minDecryptionVersion) {
      io.stdout.write(`${key.keyId}: older versions were demoted too recently to retire; rerun later\n`);
    }
  }
  return 0;
}

export function createKeysCommand(loadDeps: () => Promise<KeysCommandDeps>): CliCommand {
  return {
    name: 'keys',
    summary: 'key ring: status, rotate, rewrap (docs/crypto.md)',
    async run(argv, io) {
      let parsed;
      try {
        parsed = parseArgs({
          args: [...argv],
          allowPositionals: true,
          options: {
            json: { type: 'boolean' },
            all: { type: 'boolean' },
            due: { type: 'boolean' },
            kek: { type: 'boolean' },
            'deks-only': { type: 'boolean' },
            retire: { type: 'boolean' },
            'batch-size': { type: 'string' },
          },
        });
      } catch (error) {
        io.stderr.write(`q2 keys: ${(error as Error).message}\n${USAGE}\n`);
        return 2;
      }
      const [verb, ...rest] = parsed.positionals;
      if (verb !== 'status' && verb !== 'rotate' && verb !== 'rewrap') {
        io.stderr.write(`${USAGE}\n`);
        return 2;
      }
      let deps: KeysCommandDeps | undefined;
      try {
        deps = await loadDeps();
        if (verb === 'status') {
          const keys = await deps.keyManager.status();
          if (parsed.values.json) io.stdout.write(`${JSON.stringify({ kek: deps.keyManager.currentKek(), keys }, null, 2)}\n`);
          else printStatus(io, keys, deps.keyManager.currentKek());
          return 0;
        }
        if (verb === 'rotate') return await rotate(io, deps, rest, parsed.values);
        return await rewrap(io, deps, parsed.values);
      } catch (error) {
        io.stderr.write(`q2 keys: ${isAppError(error) ? `${error.code}: ${error.detail}` : (error as Error).message}\n`);
        return 1;
      } finally {
        await deps?.close();
      }
    },
  };
}
