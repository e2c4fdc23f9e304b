/**
 * Threat: an insider or intruder with write access to the database (not to the key ring) edits,
 * deletes, inserts, reorders or truncates audit entries, or forges tree heads, to hide what
 * happened. Every tamper is done directly in SQLite and PostgreSQL; verification must fail and
 * name the first bad seq — also when the attacker recomputes every hash after the edit, which
 * needs no secret.
 *
 * Fixture: 40 entries (seq 0–39) with signed heads at sizes 10, 20 and 30; 30–39 are covered by
 * no head yet (the unsigned tail between two periodic signatures).
 *
 * Every case runs twice: with the sequential verifier, and with the parallel one (aligned chunks
 * of 8 entries, run in-process here; test/e2e/audit-parallel-verify.test.ts runs real worker
 * threads). A tamper the parallel pass missed would come back `ok: true`.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createManualClock } from '../../src/lib/clock/index.js';
import type { Database } from '../../src/lib/db/index.js';
import {
  createAuditLogger, generateAuditKeys, leafHash, signTreeHead, verifyInclusion, verifyTreeHead, type AuditLogger, type SignedTreeHead,
} from '../../src/modules/audit/index.js';
import { canonicalEntry } from '../../src/modules/audit/entry/canonical.js';
import { CompactRange } from '../../src/modules/audit/merkle/compact-range.js';
import { createAuditStore } from '../../src/modules/audit/store/audit-store.js';
import { fromEntryRow } from '../../src/modules/audit/store/rows.js';
import { verifyChunk } from '../../src/modules/audit/verify/chunk.js';
import { inProcessChunkRunner } from '../../src/modules/audit/verify/parallel.js';
import { databaseBackends } from '../support/backends.js';
import { useMigratedDatabase } from '../support/migrated-database.js';

const backends = await databaseBackends();
const keys = generateAuditKeys();

const modes = [{ name: 'sequential', parallel: false }, { name: 'parallel', parallel: true }];
const cases = backends.flatMap((backend) => modes.map((mode) => ({ name: backend.name, mode: mode.name, parallel: mode.parallel, backend })));

describe.each(cases)('audit log tampering on $name, $mode verification', ({ backend, parallel }) => {
  let db: Database;
  /** Logger options selecting the verifier under test. */
  const verifier = () => (parallel
    ? { parallelVerify: { chunkSize: 8, runner: () => inProcessChunkRunner((job) => verifyChunk(createAuditStore(db), job)) } }
    : {});
  const clock = createManualClock(Date.UTC(2026, 2, 1));

  const database = useMigratedDatabase(backend);
  beforeAll(() => {
    db = database();
  });

  /** A fresh 40-entry log. The logger returned is "another process": it has no memory of sizes. */
  async function freshLog(): Promise<AuditLogger> {
    await db.kysely.deleteFrom('audit_entries').execute();
    await db.kysely.deleteFrom('audit_nodes').execute();
    await db.kysely.deleteFrom('audit_tree_heads').execute();
    await db.kysely.updateTable('audit_state').set({ size: 0n, frontier: Buffer.alloc(0), last_leaf: Buffer.alloc(32) }).execute();
    const writer = createAuditLogger({ db, clock, ...keys, signEveryMs: 0, ...verifier() });
    for (let i = 0; i < 40; i++) {
      await writer.append({ action: i % 2 ? 'auth.login' : 'order.rejected', actor: `user:${i % 4}`, outcome: i % 3 ? 'success' : 'failure', target: `t${i}`, requestId: `r${i}`, details: { i, note: `entry ${i}` } });
      if ((i + 1) % 10 === 0 && i + 1 <= 30) await writer.signTreeHead();
    }
    await writer.close(); // signs a head at 40 on close...
    await db.kysely.deleteFrom('audit_tree_heads').where('tree_size', '=', 40n).execute(); // ...removed: keep an unsigned tail
    return createAuditLogger({ db, clock, ...keys, signEveryMs: 0, ...verifier() });
  }

  let log: AuditLogger;
  beforeEach(async () => {
    log = await freshLog();
  });

  const setSeq = (from: bigint, to: bigint) => db.kysely.updateTable('audit_entries').set({ seq: to }).where('seq', '=', from).execute();

  /** What an attacker without keys can do: recompute leaf hashes after an edit, in chain order. */
  async function rehashFrom(seq: number): Promise<void> {
    const rows = await db.kysely.selectFrom('audit_entries').selectAll().where('seq', '>=', BigInt(seq)).orderBy('seq').execute();
    const before = await db.kysely.selectFrom('audit_entries').select('leaf_hash').where('seq', '=', BigInt(seq - 1)).executeTakeFirst();
    let prev = before?.leaf_hash.toString('hex') ?? '0'.repeat(64);
    for (const row of rows) {
      const leaf = leafHash(canonicalEntry(fromEntryRow(row), Number(row.seq), prev));
      await db.kysely.updateTable('audit_entries').set({ leaf_hash: leaf }).where('seq', '=', row.seq).execute();
      prev = leaf.toString('hex');
    }
  }

  it('verifies the untouched fixture (control)', async () => {
    expect(await log.verify()).toMatchObject({ ok: true, entries: 40, treeHeadsChecked: 3, ...(parallel ? { verifiedBy: 'parallel' } : {}) });
  });

  it.each([[3], [17], [35]])('names seq %i when one field of it is edited', async (seq) => {
    await db.kysely.updateTable('audit_entries').set({ outcome: 'success', actor: 'user:innocent' }).where('seq', '=', BigInt(seq)).execute();
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: seq, reason: 'entry-altered' });
  });

  it('names the seq whose details were re-serialised with the same meaning', async () => {
    const row = await db.kysely.selectFrom('audit_entries').select('details').where('seq', '=', 5n).executeTakeFirstOrThrow();
    await db.kysely.updateTable('audit_entries').set({ details: JSON.stringify(JSON.parse(row.details), null, 1) }).where('seq', '=', 5n).execute();
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 5 });
  });

  it.each([[12], [33]])('names seq %i when it is edited and every hash after it recomputed', async (seq) => {
    await db.kysely.updateTable('audit_entries').set({ outcome: 'success' }).where('seq', '=', BigInt(seq)).execute();
    await rehashFrom(seq);
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: seq, reason: 'entry-forged' });
  });

  it('names the first of two edits, even when the later one is the cruder', async () => {
    await db.kysely.updateTable('audit_entries').set({ actor: 'user:x' }).where('seq', '=', 31n).execute();
    await rehashFrom(31);
    await db.kysely.updateTable('audit_entries').set({ actor: 'user:y' }).where('seq', '=', 36n).execute();
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 31 });
  });

  it.each([[0], [12], [39]])('names seq %i when it is deleted', async (seq) => {
    await db.kysely.deleteFrom('audit_entries').where('seq', '=', BigInt(seq)).execute();
    const report = await log.verify();
    expect(report).toMatchObject({ ok: false, firstBadSeq: seq });
    expect(['entry-missing', 'truncated']).toContain(report.reason);
  });

  it('names the deleted seq when the later entries are renumbered to close the gap', async () => {
    await db.kysely.deleteFrom('audit_entries').where('seq', '=', 12n).execute();
    for (let s = 13n; s < 40n; s++) await setSeq(s, s - 1n);
    await db.kysely.updateTable('audit_state').set({ size: 39n }).execute();
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 12 });
  });

  it('names the seq of an entry inserted in the middle, hashes recomputed', async () => {
    for (let s = 39n; s >= 25n; s--) await setSeq(s, s + 1n);
    const template = await db.kysely.selectFrom('audit_entries').selectAll().where('seq', '=', 24n).executeTakeFirstOrThrow();
    await db.kysely.insertInto('audit_entries').values({ ...template, seq: 25n, actor: 'user:alibi', mac: randomBytes(32) }).execute();
    await db.kysely.updateTable('audit_state').set({ size: 41n }).execute();
    await rehashFrom(25);
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 25 });
  });

  it('names the seq of an entry appended behind the logger\'s back, even with a correct hash', async () => {
    const last = await db.kysely.selectFrom('audit_entries').selectAll().where('seq', '=', 39n).executeTakeFirstOrThrow();
    const forged = { ...fromEntryRow(last), actor: 'user:alibi' };
    const leaf = leafHash(canonicalEntry(forged, 40, last.leaf_hash.toString('hex')));
    await db.kysely.insertInto('audit_entries').values({ ...last, seq: 40n, actor: 'user:alibi', leaf_hash: leaf, mac: randomBytes(32) }).execute();
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 40, reason: 'entry-forged' });
  });

  it('names the first of two entries whose contents were swapped', async () => {
    const [a, b] = await db.kysely.selectFrom('audit_entries').selectAll().where('seq', 'in', [8n, 9n]).orderBy('seq').execute();
    await db.kysely.updateTable('audit_entries').set({ ...b!, seq: 8n }).where('seq', '=', 8n).execute();
    await db.kysely.updateTable('audit_entries').set({ ...a!, seq: 9n }).where('seq', '=', 9n).execute();
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 8 });
  });

  it('names the first of two entries whose seqs were swapped (reordered)', async () => {
    await setSeq(22n, 1000n);
    await setSeq(23n, 22n);
    await setSeq(1000n, 23n);
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 22, reason: 'entry-altered' });
  });

  it('names the first removed seq when the log is truncated below a signed head', async () => {
    await log.signTreeHead(); // head at 40
    await db.kysely.deleteFrom('audit_entries').where('seq', '>=', 35n).execute();
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 35, reason: 'truncated' });
  });

  it('names the first removed seq when the unsigned tail is truncated and the state row rewound', async () => {
    await db.kysely.deleteFrom('audit_entries').where('seq', '>=', 32n).execute();
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 32, reason: 'truncated' });
    // A careful attacker also rewinds the state row; the only witnesses left are outside the database.
    const state = await db.kysely.selectFrom('audit_state').selectAll().executeTakeFirstOrThrow();
    await db.kysely.updateTable('audit_state').set({ size: 32n, frontier: state.frontier.subarray(0, 32), last_leaf: state.last_leaf }).execute();
    const trusted = (await db.kysely.selectFrom('audit_tree_heads').selectAll().orderBy('tree_size', 'desc').executeTakeFirstOrThrow());
    expect(trusted.tree_size).toBe(30n);
    const exported: SignedTreeHead = signTreeHead({ treeSize: 40, rootHash: randomBytes(32), timestamp: clock.now() }, log.origin, keys.signingKey);
    expect(await log.verify({ trustedHead: exported })).toMatchObject({ ok: false, firstBadSeq: 32, reason: 'truncated' });
  });

  it('the process that wrote the entries notices a clean truncation of the unsigned tail by itself', async () => {
    const writer = createAuditLogger({ db, clock, ...keys, signEveryMs: 0, ...verifier() });
    await writer.append({ action: 'x', actor: 'system', outcome: 'info' });
    const state = await db.kysely.selectFrom('audit_state').selectAll().executeTakeFirstOrThrow();
    await db.kysely.deleteFrom('audit_entries').where('seq', '>=', 38n).execute();
    await db.kysely.updateTable('audit_state').set({ size: 38n, frontier: state.frontier.subarray(0, 96) }).execute();
    expect(await writer.verify()).toMatchObject({ ok: false, firstBadSeq: 38, reason: 'truncated' });
  });

  it('names the head\'s last seq when a tree head is forged (altered root, bad signature)', async () => {
    await db.kysely.updateTable('audit_tree_heads').set({ root_hash: randomBytes(32) }).where('tree_size', '=', 20n).execute();
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 19, reason: 'tree-head-forged' });
  });

  it('rejects a head signed with another key, even though its signature is valid for that key', async () => {
    const rogue = generateKeyPairSync('ed25519').privateKey;
    const head = signTreeHead({ treeSize: 25, rootHash: randomBytes(32), timestamp: clock.now() }, log.origin, rogue);
    await db.kysely.insertInto('audit_tree_heads').values({
      tree_size: 25n, root_hash: head.rootHash, timestamp: BigInt(head.timestamp), origin: head.origin, key_id: head.keyId, signature: head.signature,
    }).execute();
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 24, reason: 'tree-head-forged' });
  });

  it('names the edited seq, not the head, when an edit under a signed head was rehashed', async () => {
    await db.kysely.updateTable('audit_entries').set({ target: 't-other' }).where('seq', '=', 14n).execute();
    await rehashFrom(14);
    const report = await log.verify();
    expect(report).toMatchObject({ ok: false, firstBadSeq: 14, reason: 'entry-forged' });
    expect(report.treeHead?.treeSize).toBe(10);
  });

  it('names the first seq under a damaged Merkle tile (proofs would fail there)', async () => {
    const writer = createAuditLogger({ db, clock, ...keys, signEveryMs: 0, ...verifier() });
    await Promise.all(Array.from({ length: 300 }, (_, i) => writer.append({ action: 'bulk', actor: 'system', outcome: 'info', details: { i } })));
    await writer.signTreeHead();
    await db.kysely.updateTable('audit_nodes').set({ hash: randomBytes(32) }).where('level', '=', 8n).where('idx', '=', 0n).execute();
    expect(await writer.verify()).toMatchObject({ ok: false, firstBadSeq: 0, reason: 'tree-node-altered' });
    // Leaf 300's audit path contains the subtree [0, 256) that the damaged tile stands for.
    const proof = await writer.proveInclusion(300);
    expect(verifyInclusion(300, proof.treeSize, proof.leafHash, proof.proof, proof.rootHash).ok).toBe(false);
  });

  describe('the signer never vouches for what the attacker wrote', () => {
    async function fixStateRow(): Promise<void> {
      const leaves = (await db.kysely.selectFrom('audit_entries').select('leaf_hash').orderBy('seq').execute()).map((r) => r.leaf_hash);
      const range = CompactRange.empty();
      for (const leaf of leaves) range.append(leaf);
      await db.kysely.updateTable('audit_state').set({ size: BigInt(leaves.length), frontier: range.serialize(), last_leaf: leaves[leaves.length - 1]! }).execute();
    }

    it('refuses to sign a rewritten unsigned tail, even with the state row made consistent', async () => {
      await db.kysely.updateTable('audit_entries').set({ outcome: 'success', details: '{"note":"nothing to see"}' }).where('seq', '=', 33n).execute();
      await rehashFrom(33);
      await fixStateRow();
      await expect(log.signTreeHead()).rejects.toMatchObject({ code: 'AUDIT_LOG_CORRUPT' });
      expect((await log.latestTreeHead())?.treeSize).toBe(30);
      expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 33, reason: 'entry-forged' });
    });

    it('refuses to sign in the writing process too, which checks what it wrote rather than MACs', async () => {
      const writer = createAuditLogger({ db, clock, ...keys, signEveryMs: 0, ...verifier() });
      const { seq } = await writer.append({ action: 'own.entry', actor: 'system', outcome: 'info' });
      const { seq: next } = await writer.append({ action: 'own.entry', actor: 'system', outcome: 'info' });
      await db.kysely.updateTable('audit_entries').set({ actor: 'user:framed' }).where('seq', '=', BigInt(seq)).execute();
      await rehashFrom(seq);
      const forged = await db.kysely.selectFrom('audit_entries').selectAll().where('seq', '=', BigInt(seq)).executeTakeFirstOrThrow();
      await db.kysely.updateTable('audit_entries').set({ mac: (await db.kysely.selectFrom('audit_entries').select('mac').where('seq', '=', BigInt(next)).executeTakeFirstOrThrow()).mac }).where('seq', '=', forged.seq).execute();
      await fixStateRow();
      await expect(writer.signTreeHead()).rejects.toMatchObject({ code: 'AUDIT_LOG_CORRUPT' });
      await writer.close();
    });

    it('refuses to sign when a signed head covers more entries than remain', async () => {
      await log.signTreeHead();
      await db.kysely.deleteFrom('audit_entries').where('seq', '>=', 36n).execute();
      await fixStateRow();
      await expect(log.signTreeHead()).rejects.toMatchObject({ code: 'AUDIT_LOG_CORRUPT' });
    });

    it('steps over a forged head with a larger size and signs the genuine log', async () => {
      await db.kysely.insertInto('audit_tree_heads').values({
        tree_size: 39n, root_hash: randomBytes(32), timestamp: 1n, origin: log.origin, key_id: 'deadbeef', signature: randomBytes(64),
      }).execute();
      const head = await log.signTreeHead();
      expect(head?.treeSize).toBe(40);
      expect(verifyTreeHead(head!, log.publicKey).ok).toBe(true);
      expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 38, reason: 'tree-head-forged' });
    });

    it('does not let a (leaf, MAC) pair written for one seq pass at another', async () => {
      const [a, b] = await db.kysely.selectFrom('audit_entries').selectAll().where('seq', 'in', [34n, 35n]).orderBy('seq').execute();
      await db.kysely.updateTable('audit_entries').set({ ...b!, seq: 34n }).where('seq', '=', 34n).execute();
      await db.kysely.updateTable('audit_entries').set({ ...a!, seq: 35n }).where('seq', '=', 35n).execute();
      await expect(log.signTreeHead()).rejects.toMatchObject({ code: 'AUDIT_LOG_CORRUPT' });
    });
  });

  it('keeps working on the genuine log after a failed verification (verify is read-only)', async () => {
    await db.kysely.updateTable('audit_entries').set({ action: 'x' }).where('seq', '=', 2n).execute();
    await sql`select 1`.execute(db.kysely);
    expect((await log.verify()).firstBadSeq).toBe(2);
    expect(await db.kysely.selectFrom('audit_entries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 40n });
  });
});
