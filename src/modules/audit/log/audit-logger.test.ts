/**
 * The AuditLogger against real SQLite and PostgreSQL: group commit, gap-free sequencing (also
 * with two writers on one database, as two replicas), acknowledgement only after commit,
 * signed heads, proofs checked by the independent RFC 9162 verifier, search and pseudonyms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { databaseBackends, type ThrowawayDatabase } from '../../../../test/support/backends.js';
import { createManualClock } from '../../../lib/clock/index.js';
import { createDatabase, type Database } from '../../../lib/db/index.js';
import { generateAuditKeys } from '../keys/audit-keys.js';
import { leafHash } from '../merkle/hash.js';
import { verifyConsistency, verifyInclusion } from '../merkle/verify.js';
import { createAuditLogger, type AuditLogger, type Scheduler } from './audit-logger.js';
import { verifyTreeHead } from './checkpoint.js';

const backends = await databaseBackends();
const keys = generateAuditKeys();

function manualScheduler(): Scheduler & { tick(): Promise<void> } {
  const tasks: (() => Promise<void>)[] = [];
  const schedule: Scheduler = (task) => {
    tasks.push(task);
    return () => {
      tasks.splice(tasks.indexOf(task), 1);
    };
  };
  return Object.assign(schedule, {
    async tick() {
      await Promise.all(tasks.map((t) => t()));
    },
  });
}

describe.each(backends)('AuditLogger on $name', (backend) => {
  let throwaway: ThrowawayDatabase;
  let db: Database;
  let log: AuditLogger;
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const scheduler = manualScheduler();
  const batches: number[] = [];

  beforeAll(async () => {
    throwaway = await backend.provision();
    db = await createDatabase(throwaway.url);
    await db.migrate();
    log = createAuditLogger({ db, clock, ...keys, scheduler, signEveryMs: 1_000, onBatch: (n) => batches.push(n) });
  });
  afterAll(async () => {
    await log?.close();
    await db?.close();
    await throwaway?.drop();
  });

  it('gives concurrent appends gap-free seqs from 0, in few group commits', async () => {
    batches.length = 0;
    const receipts = await Promise.all(Array.from({ length: 500 }, (_, i) =>
      log.append({ action: 'auth.login', actor: `user:${i % 7}`, outcome: i % 5 === 0 ? 'failure' : 'success', details: { i } })));
    expect(receipts.map((r) => r.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(batches.reduce((a, b) => a + b, 0)).toBe(500);
    expect(batches.length).toBeLessThan(20);
  });

  it('acknowledges an entry only once it can be read back from the database', async () => {
    const { seq, leafHash: hash } = await log.append({ action: 'apikey.created', actor: 'user:1', outcome: 'success', target: 'key:9' });
    const stored = await log.store.entry(seq);
    expect(stored?.leafHash.toString('hex')).toBe(hash);
    expect(stored?.action).toBe('apikey.created');
  });

  it('signs a tree head periodically and returns the same head while the log has not grown', async () => {
    expect(await log.latestTreeHead()).toBeNull();
    await scheduler.tick();
    const head = await log.latestTreeHead();
    expect(head?.treeSize).toBe(501);
    expect(verifyTreeHead(head!, log.publicKey)).toEqual({ ok: true });
    const again = await log.signTreeHead();
    expect(again?.signature.equals(head!.signature)).toBe(true);
  });

  it('serves inclusion proofs that verify against the signed root, for every position', async () => {
    const head = (await log.signTreeHead())!;
    for (const seq of [0, 1, 2, 255, 256, 257, 300, 499, 500]) {
      const p = await log.proveInclusion(seq);
      expect(p.treeSize).toBe(head.treeSize);
      expect(p.rootHash.equals(head.rootHash)).toBe(true);
      expect(verifyInclusion(seq, p.treeSize, p.leafHash, p.proof, head.rootHash), `seq ${seq}`).toEqual({ ok: true });
    }
  });

  it('serves consistency proofs between signed heads', async () => {
    const before = (await log.signTreeHead())!;
    await Promise.all(Array.from({ length: 300 }, (_, i) => log.append({ action: 'order.rejected', actor: 'user:2', outcome: 'denied', details: { i } })));
    const after = (await log.signTreeHead())!;
    const p = await log.proveConsistency(before.treeSize);
    expect(p.toSize).toBe(after.treeSize);
    expect(verifyConsistency(before.treeSize, after.treeSize, p.proof, before.rootHash, after.rootHash)).toEqual({ ok: true });
    for (const size of [1, 7, 256, 512, 700]) {
      const q = await log.proveConsistency(size, after.treeSize);
      expect(verifyConsistency(size, after.treeSize, q.proof, q.fromRoot, after.rootHash), `from ${size}`).toEqual({ ok: true });
    }
  });

  it('proves against an entry newer than every head by signing one on demand', async () => {
    const { seq } = await log.append({ action: 'config.changed', actor: 'system', outcome: 'info' });
    const p = await log.proveInclusion(seq);
    expect(p.treeHead?.treeSize).toBe(seq + 1);
    expect(verifyInclusion(seq, p.treeSize, p.leafHash, p.proof, p.treeHead!.rootHash).ok).toBe(true);
  });

  it('rejects proofs outside the log with stable codes', async () => {
    const size = (await log.store.size());
    await expect(log.proveInclusion(size + 5)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(log.proveInclusion(3, 2)).rejects.toMatchObject({ code: 'AUDIT_RANGE_INVALID' });
    await expect(log.proveInclusion(3, size + 1)).rejects.toMatchObject({ code: 'AUDIT_RANGE_INVALID' });
    await expect(log.proveConsistency(0)).rejects.toMatchObject({ code: 'AUDIT_RANGE_INVALID' });
    await expect(log.proveConsistency(size, 2)).rejects.toMatchObject({ code: 'AUDIT_RANGE_INVALID' });
  });

  it('verifies the intact log', async () => {
    const report = await log.verify();
    expect(report).toMatchObject({ ok: true, entries: (await log.store.size()) });
    expect(report.firstBadSeq).toBeUndefined();
    expect(report.treeHeadsChecked).toBeGreaterThan(0);
  });

  it('pseudonymises IPs, email actors and personal details, and finds them by their clear value', async () => {
    const { seq } = await log.append({
      action: 'auth.login', actor: 'Alice@Example.com', outcome: 'failure', ip: '::ffff:203.0.113.9',
      details: { email: 'alice@example.com', reason: 'bad password', nested: { phoneNumber: '+1 555 0100 200' }, note: 'from 198.51.100.4' },
    });
    const entry = (await log.proveInclusion(seq)).entry;
    expect(entry.ip).toMatch(/^ps:ip:[A-Za-z0-9_-]{22}$/);
    expect(entry.ip).toBe(log.pseudonymise('ip', '203.0.113.9'));
    expect(entry.actor).toMatch(/^ps:email:/);
    expect(entry.details.email).toBe(entry.actor);
    expect((entry.details.nested as Record<string, unknown>).phoneNumber).toMatch(/^ps:phone:/);
    expect(entry.details.reason).toBe('bad password');
    expect(JSON.stringify(entry)).not.toMatch(/alice|203\.0\.113\.9|555/i);
    const found = await log.search({ actor: log.storedIdentity('alice@example.com'), limit: 10, order: 'asc' });
    expect(found.entries.map((e) => e.seq)).toEqual([seq]);
  });

  it('searches by time range, action and outcome with keyset pages', async () => {
    clock.set(Date.UTC(2026, 5, 1));
    await Promise.all(Array.from({ length: 25 }, (_, i) => log.append({ action: 'mfa.changed', actor: 'user:3', outcome: i < 10 ? 'failure' : 'success' })));
    const from = Date.UTC(2026, 5, 1);
    const first = await log.search({ from, action: 'mfa.changed', outcome: 'success', limit: 10, order: 'asc' });
    expect(first.entries).toHaveLength(10);
    expect(first.nextCursor).toBe(first.entries[9]!.seq);
    const second = await log.search({ from, action: 'mfa.changed', outcome: 'success', limit: 10, order: 'asc', cursor: first.nextCursor! });
    expect(second.entries).toHaveLength(5);
    expect(second.nextCursor).toBeNull();
    expect(new Set([...first.entries, ...second.entries].map((e) => e.seq)).size).toBe(15);
    const none = await log.search({ to: Date.UTC(2025, 0, 1), limit: 10, order: 'desc' });
    expect(none.entries).toEqual([]);
  });

  it('keeps one gap-free chain when two writers (replicas) append to the same database at once', async () => {
    const other = await createDatabase(throwaway.url);
    const replica = createAuditLogger({ db: other, clock, ...keys, signEveryMs: 0 });
    try {
      const start = (await log.store.size());
      const both = await Promise.all([
        ...Array.from({ length: 200 }, (_, i) => log.append({ action: 'replica.a', actor: 'user:a', outcome: 'info', details: { i } })),
        ...Array.from({ length: 200 }, (_, i) => replica.append({ action: 'replica.b', actor: 'user:b', outcome: 'info', details: { i } })),
      ]);
      const seqs = both.map((r) => r.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 400 }, (_, i) => start + i));
      await log.signTreeHead();
      expect(await log.verify()).toMatchObject({ ok: true, entries: start + 400 });
    } finally {
      await replica.close();
      await other.close();
    }
  });

  it('fails later appends with AUDIT_UNAVAILABLE once closed, after committing what was queued', async () => {
    const other = await createDatabase(throwaway.url);
    const closing = createAuditLogger({ db: other, clock, ...keys, signEveryMs: 0 });
    const pending = closing.append({ action: 'last.words', actor: 'system', outcome: 'info' });
    await closing.close();
    const { seq } = await pending;
    expect((await closing.store.entry(seq))?.action).toBe('last.words');
    expect((await closing.latestTreeHead())?.treeSize).toBe(seq + 1);
    await expect(closing.append({ action: 'too.late', actor: 'system', outcome: 'info' })).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    await other.close();
  });

  it('hashes each entry as SHA-256(0x00 ‖ canonical JSON) chained by prev', async () => {
    const a = await log.store.entry(0);
    const b = await log.store.entry(1);
    const canonical = `{"action":${JSON.stringify(b!.action)},"actor":${JSON.stringify(b!.actor)},"details":${b!.details},"ip":null,` +
      `"outcome":${JSON.stringify(b!.outcome)},"prev":"${a!.leafHash.toString('hex')}","requestId":null,"seq":1,"target":null,"time":${b!.time}}`;
    expect(leafHash(canonical).equals(b!.leafHash)).toBe(true);
  });
});
