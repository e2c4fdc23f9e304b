/**
 * Crypto benchmarks (docs/BENCHMARKS.md, "Crypto"): every figure next to a baseline measured in
 * the same run, rounds alternating so machine noise hits both sides alike.
 *
 * 1. Field encryption: encrypt + decrypt of 64 B and 1 KiB values through SymmetricEncryption
 *    (text envelope, row context as AAD, warm DEK cache, usage reservations) and through
 *    FieldCipher rows, against raw node:crypto AES-256-GCM (random IV, no AAD, Buffers).
 *    Target: ≥ 80 % of raw ops/s.
 * 2. Bulk: 1 MiB binary envelopes, GB/s per core, against raw node:crypto and `openssl speed`.
 *    Target: ≥ 1.5 GB/s.
 * 3. Rewrap: 1M fields from v1 to v2, in memory (SymmetricEncryption.rewrap) and in a SQLite
 *    file through `rewrapFields` (compare-and-swap batches), as `q2 keys rewrap` runs it.
 *
 * Run alone: `npx tsc -p tsconfig.build.json && node dist/bench/crypto.js`.
 * BENCH_REWRAP_FIELDS (default 1000000) and BENCH_ROUNDS (default 9) scale it. With --expose-gc
 * (as `npm run bench` runs) the heap is collected between sections.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Kysely } from 'kysely';

import {
  createFieldCipher,
  createKeyManager,
  createKyselyKeyRingStore,
  createKyselyRewrapTarget,
  createLocalKekProvider,
  createMemoryKeyRingStore,
  createSymmetricEncryption,
  defineEncryptedColumns,
  rewrapFields,
  type EncryptedTable,
  type SymmetricEncryption,
} from '../src/modules/crypto/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const ROUND_MS = 300;
const REWRAP_FIELDS = Number(process.env.BENCH_REWRAP_FIELDS ?? 1_000_000);
const MIB = 1 << 20;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** CPU seconds (user + system) this process has used: other load on the machine does not count. */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * Runs `op` back to back for ~ROUND_MS of CPU time and returns operations per CPU-second, i.e.
 * per core (`openssl speed` divides by CPU time too), so a busy machine does not skew a side.
 */
async function rate(op: () => unknown, batch: number): Promise<number> {
  const start = cpuSeconds();
  let n = 0;
  let used = 0;
  while (used < ROUND_MS / 1000) {
    for (let i = 0; i < batch; i += 1) await op();
    n += batch;
    used = cpuSeconds() - start;
  }
  return n / used;
}

/** `batch`: operations between clock reads (64 for small fields, 1 for 1 MiB blobs). */
async function compare(ops: Record<string, () => unknown>, batch = 64): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
  for (const op of Object.values(ops)) await rate(op, batch); // warm-up: JIT, caches, reservations
  for (let round = 0; round < ROUNDS; round += 1) for (const [name, op] of Object.entries(ops)) samples[name]!.push(await rate(op, batch));
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

function rawGcm(size: number) {
  const key = randomBytes(32);
  const plaintext = randomBytes(size);
  return () => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    const ct = Buffer.concat([c.update(plaintext), c.final()]);
    const tag = c.getAuthTag();
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAuthTag(tag);
    return Buffer.concat([d.update(ct), d.final()]);
  };
}

function memoryRing(): { symmetric: SymmetricEncryption; rotate(): Promise<number> } {
  const keyManager = createKeyManager({ store: createMemoryKeyRingStore(), kek: createLocalKekProvider(randomBytes(32)) });
  return { symmetric: createSymmetricEncryption({ keyManager, defaultKeyId: 'pii' }), rotate: () => keyManager.rotate('pii') };
}

const benchTable = defineEncryptedColumns({ table: 'bench_fields', rowId: 'id', columns: { secret: { keyId: 'pii' } } }) as EncryptedTable<never>;

async function fieldSection(): Promise<string[]> {
  const { symmetric } = memoryRing();
  const keyManager = createKeyManager({ store: createMemoryKeyRingStore(), kek: createLocalKekProvider(randomBytes(32)) });
  const fields = createFieldCipher({ symmetric: createSymmetricEncryption({ keyManager }), keyManager });
  const lines = ['| value | raw node:crypto (ops/s) | SymmetricEncryption field (ops/s) | ratio | FieldCipher row (ops/s) | ratio |', '|---|---:|---:|---:|---:|---:|'];
  for (const size of [64, 1024]) {
    const value = 'x'.repeat(size);
    const context = { table: 'users', column: 'email', row: 'u00000042' };
    const row = { id: 'u00000042', secret: value };
    const r = await compare({
      raw: rawGcm(size),
      field: async () => symmetric.decrypt(await symmetric.encrypt(value, { context }), { context }),
      row: async () => fields.decryptRow(benchTable, await fields.encryptRow(benchTable, row as never)),
    });
    lines.push(`| ${size === 64 ? '64 B' : '1 KiB'} | ${fmt(r.raw!)} | ${fmt(r.field!)} | **${Math.round((100 * r.field!) / r.raw!)} %** | ${fmt(r.row!)} | ${Math.round((100 * r.row!) / r.raw!)} % |`);
  }
  return lines;
}

function opensslSpeed(): string {
  try {
    const out = execFileSync('openssl', ['speed', '-evp', 'aes-256-gcm', '-bytes', String(MIB), '-seconds', '2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const kbps = Number(/aes-256-gcm\s+([\d.]+)k/i.exec(out)?.[1]);
    return Number.isFinite(kbps) ? (kbps * 1000 / 1e9).toFixed(2) : 'n/a';
  } catch {
    return 'n/a';
  }
}

async function bulkRates(): Promise<Record<string, number>> {
  const { symmetric } = memoryRing();
  const context = { table: 'documents', column: 'body', row: 'd1' };
  const data = randomBytes(MIB);
  const sealed = await symmetric.encryptBytes(data, { context });
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const rawCt = (() => {
    const c = createCipheriv('aes-256-gcm', key, iv);
    return Buffer.concat([c.update(data), c.final()]);
  })();
  const rawTag = (() => {
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.update(data);
    c.final();
    return c.getAuthTag();
  })();
  const r = await compare({
    rawEnc: () => {
      const c = createCipheriv('aes-256-gcm', key, randomBytes(12));
      return [c.update(data), c.final(), c.getAuthTag()];
    },
    enc: () => symmetric.encryptBytes(data, { context }),
    rawDec: () => {
      const d = createDecipheriv('aes-256-gcm', key, iv);
      d.setAuthTag(rawTag);
      return [d.update(rawCt), d.final()];
    },
    dec: () => symmetric.decryptBytes(sealed, { context }),
  }, 1);
  return r;
}

function bulkRows(label: string, r: Record<string, number>): string[] {
  const gbs = (ops: number) => ((ops * MIB) / 1e9).toFixed(2);
  return [
    `| encrypt, ${label} | ${gbs(r.rawEnc!)} | **${gbs(r.enc!)}** | ${Math.round((100 * r.enc!) / r.rawEnc!)} % |`,
    `| decrypt, ${label} | ${gbs(r.rawDec!)} | **${gbs(r.dec!)}** | ${Math.round((100 * r.dec!) / r.rawDec!)} % |`,
  ];
}

async function rewrapInMemory(count: number): Promise<number> {
  const { symmetric, rotate } = memoryRing();
  const context = { table: 'users', column: 'email', row: '' };
  const stored: string[] = new Array<string>(count);
  for (let i = 0; i < count; i += 1) stored[i] = await symmetric.encrypt(`user${i}@example.com`, { context: { ...context, row: String(i) } });
  await rotate();
  const start = cpuSeconds();
  for (let i = 0; i < count; i += 1) stored[i] = await symmetric.rewrap(stored[i]!, { context: { ...context, row: String(i) } });
  const seconds = cpuSeconds() - start;
  if (!stored.every((s) => s.startsWith('q2:v2:pii:'))) throw new Error('rewrap left old versions behind');
  return count / seconds;
}

async function rewrapSqlite(count: number): Promise<{ rate: number; seconds: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'q2-bench-rewrap-'));
  // Imported here, not at the top: see the note on bulk throughput in benchCrypto.
  const { createDatabase } = await import('../src/lib/db/index.js');
  const db = await createDatabase(`sqlite:${path.join(dir, 'q2.db')}`);
  try {
    await db.migrate();
    const k = db.kysely as unknown as Kysely<Record<string, Record<string, unknown>>>;
    await k.schema.createTable('bench_fields').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('secret', 'text').execute();
    const keyManager = createKeyManager({ store: createKyselyKeyRingStore(db.kysely), kek: createLocalKekProvider(randomBytes(32)) });
    const symmetric = createSymmetricEncryption({ keyManager });
    const fields = createFieldCipher({ symmetric, keyManager });
    for (let offset = 0; offset < count; offset += 5000) {
      const rows: Record<string, unknown>[] = [];
      for (let i = offset; i < Math.min(count, offset + 5000); i += 1) {
        rows.push(await fields.encryptRow(benchTable, { id: `r${String(i).padStart(8, '0')}`, secret: `user${i}@example.com` } as never));
      }
      await k.transaction().execute((trx) => trx.insertInto('bench_fields').values(rows).execute());
    }
    await keyManager.rotate('pii');
    const start = cpuSeconds();
    const report = await rewrapFields({ targets: [createKyselyRewrapTarget(db.kysely, benchTable)], fieldCipher: fields, batchSize: 1000 });
    const seconds = cpuSeconds() - start;
    if (report.rewritten !== count) throw new Error(`rewrapped ${report.rewritten} of ${count}`);
    return { rate: count / seconds, seconds };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Collects garbage between sections when the process runs with --expose-gc. */
function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Bulk is measured twice: first in a small heap (crypto module only), then after the database
 * stack (Kysely, drivers) is loaded. 1 MiB buffers are external memory; with a larger old space
 * each external-memory-triggered full GC costs more, which lowers both raw and module figures.
 */
export async function benchCrypto(): Promise<string> {
  collect();
  const bulkSmallHeap = await bulkRates();
  collect();
  const field = await fieldSection();
  collect();
  const memory = await rewrapInMemory(REWRAP_FIELDS);
  collect();
  const sqlite = await rewrapSqlite(REWRAP_FIELDS);
  collect();
  const bulkFullHeap = await bulkRates();
  const machineLimit = opensslSpeed();
  return [
    '## Crypto',
    '',
    `All rates are per CPU-second of the benchmark process (per core), like \`openssl speed\`, so other load on the machine does not skew them; median of ${ROUNDS} alternating rounds after a warm-up.`,
    '',
    'Field encryption, encrypt + decrypt per op, warm DEK cache. Target: ≥ 80 % of raw.',
    '',
    ...field,
    '',
    'Bulk throughput, one core. Target: ≥ 1.5 GB/s.',
    '',
    '| 1 MiB | raw node:crypto (GB/s) | SymmetricEncryption binary envelope (GB/s) | ratio |',
    '|---|---:|---:|---:|',
    ...bulkRows('crypto module only loaded', bulkSmallHeap),
    ...bulkRows('database stack loaded (larger heap)', bulkFullHeap),
    '',
    `Machine limit, \`openssl speed -evp aes-256-gcm -bytes 1048576\` (same run, one core): ${machineLimit} GB/s.`,
    '',
    `Rewrap of ${fmt(REWRAP_FIELDS)} fields from v1 to v2 (decrypt + re-encrypt; plaintext never leaves the module).`,
    '',
    '| path | fields per CPU-second | CPU time |',
    '|---|---:|---:|',
    `| SymmetricEncryption.rewrap, in memory | ${fmt(memory)} | ${(REWRAP_FIELDS / memory).toFixed(1)} s |`,
    `| rewrapFields over a SQLite file (1,000-row compare-and-swap transactions, as \`q2 keys rewrap\`) | ${fmt(sqlite.rate)} | ${sqlite.seconds.toFixed(1)} s |`,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  benchCrypto().then(
    (markdown) => process.stdout.write(`Machine: ${os.cpus().length} × ${cpu}, Node ${process.version}.\n\n${markdown}\n`),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
