/**
 * Parallel audit verification with real worker threads (the compiled chunk-worker.js from dist/,
 * each with its own database connection), on SQLite and PostgreSQL: it agrees with the
 * sequential verifier on an intact log (same size, same newest head) and on a tampered one (the
 * same first bad seq), and a pool that cannot read the log costs speed, not the answer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createManualClock } from '../../src/lib/clock/index.js';
import { createDatabase, type Database } from '../../src/lib/db/index.js';
import { createAuditLogger, generateAuditKeys, type AuditLogger } from '../../src/modules/audit/index.js';
import { createWorkerChunkRunner } from '../../src/modules/audit/verify/worker-pool.js';
import { databaseBackends, type ThrowawayDatabase } from '../support/backends.js';
import { buildCli } from '../support/cli.js';

const WORKER = new URL('../../dist/src/modules/audit/verify/chunk-worker.js', import.meta.url);
const ENTRIES = 2_000;
const CHUNK = 256;
const keys = generateAuditKeys();
const backends = await databaseBackends();

beforeAll(() => buildCli(), 120_000);

describe.each(backends)('parallel verification with worker threads on $name', (backend) => {
  let throwaway: ThrowawayDatabase;
  let db: Database;
  const clock = createManualClock(Date.UTC(2026, 5, 1));
  const logger = (databaseUrl: string): AuditLogger => createAuditLogger({
    db, clock, ...keys, signEveryMs: 0,
    parallelVerify: { chunkSize: CHUNK, runner: () => createWorkerChunkRunner({ databaseUrl, workers: 2, workerUrl: WORKER }) },
  });
  const sequential = (): AuditLogger => createAuditLogger({ db, clock, ...keys, signEveryMs: 0 });

  beforeAll(async () => {
    throwaway = await backend.provision();
    db = await createDatabase(throwaway.url);
    await db.migrate();
    const writer = sequential();
    // Heads inside chunks, on a chunk boundary (512) and in the unaligned tail (1,950).
    const headsAt = new Set([300, 512, 777, 1_400, 1_950]);
    for (let i = 0; i < ENTRIES; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, k) => writer.append({
        action: 'order.placed', actor: `user:${(i + k) % 17}`, outcome: 'success', target: `o${i + k}`, details: { n: i + k, note: 'a|b=c\\d' },
      })));
      if (headsAt.has(i + 50) || [...headsAt].some((h) => h > i && h < i + 50)) await writer.signTreeHead();
    }
    await writer.flush();
    await writer.close(); // signs a head at 2,000
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await throwaway?.drop();
  });

  it('verifies the intact log in parallel and agrees with the sequential verifier', async () => {
    const expected = await sequential().verify();
    expect(expected).toMatchObject({ ok: true, entries: ENTRIES });
    const report = await logger(throwaway.url).verify();
    expect(report).toMatchObject({ ok: true, entries: ENTRIES, verifiedBy: 'parallel', treeHeadsChecked: expected.treeHeadsChecked });
    expect(report.treeHead?.treeSize).toBe(expected.treeHead?.treeSize);
    expect(report.treeHead?.rootHash.equals(expected.treeHead?.rootHash ?? Buffer.alloc(0))).toBe(true);
  });

  it('a pool that cannot see the log (an empty database) falls back to the sequential answer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'q2-empty-'));
    try {
      const report = await logger(`sqlite:${join(dir, 'empty.db')}`).verify();
      expect(report).toMatchObject({ ok: true, entries: ENTRIES, verifiedBy: 'sequential' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the same first bad seq as the sequential verifier after an edit inside a chunk', async () => {
    await db.kysely.updateTable('audit_entries').set({ outcome: 'failure' }).where('seq', '=', 1_234n).execute();
    try {
      const report = await logger(throwaway.url).verify();
      expect(report).toMatchObject({ ok: false, firstBadSeq: 1_234, reason: 'entry-altered' });
      expect(report).toMatchObject(await sequential().verify());
    } finally {
      await db.kysely.updateTable('audit_entries').set({ outcome: 'success' }).where('seq', '=', 1_234n).execute();
    }
  });
});
