/**
 * The AuditLogger: append-only, hash-chained, RFC 6962 Merkle-tree audit log over SQLite or
 * PostgreSQL, with group commit, periodic Ed25519-signed tree heads, verification, proofs,
 * search and export. Other features (compliance report, incident timeline) use it directly.
 *
 * Each entry's canonical JSON carries `prev`, the leaf hash of the entry before it, so the leaf
 * hash SHA-256(0x00 ‖ entry) is both the chain link and the Merkle leaf: one hash per entry.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

import type { Clock } from '../../../lib/clock/index.js';
import type { Database } from '../../../lib/db/index.js';
import type { AuditNodesTable } from '../../../lib/db/schema.js';
import { AppError } from '../../../lib/errors/index.js';
import { canonicalEntry } from '../entry/canonical.js';
import { personalKindOfValue, type PersonalKind } from '../entry/personal.js';
import { prepareEntry } from '../entry/prepare.js';
import { createPseudonymiser } from '../entry/pseudonym.js';
import type { AuditEntry, AuditEntryInput, PreparedEntry } from '../entry/types.js';
import { leafHash } from '../merkle/hash.js';
import { createAuditStore, type AuditReader } from '../store/audit-store.js';
import { toAuditEntry, toEntryRow } from '../store/rows.js';
import { searchEntries, type AuditQuery } from '../store/search.js';
import { verifyAuditLogParallel, type ChunkRunner } from '../verify/parallel.js';
import { verifyAuditLog, type VerifyReport } from '../verify/verifier.js';
import { defaultOrigin, type SignedTreeHead } from './checkpoint.js';
import { exportLines } from './export.js';
import { createGroupCommit } from './group-commit.js';
import { entryMac } from './mac.js';
import { createProofService, type ConsistencyProof, type InclusionProof } from './proof-service.js';
import { createSubtreeReader, TILE_LEVELS } from './proofs.js';
import { createTreeHeadSigner } from './signer.js';
import { WrittenLeaves } from './written-leaves.js';

/**
 * Runs `task` every `everyMs`; returns a canceller. Injected so tests never wait on timers: a
 * manual scheduler calls the task and awaits the promise it returns.
 */
export type Scheduler = (task: () => Promise<void>, everyMs: number) => () => void;

export const intervalScheduler: Scheduler = (task, everyMs) => {
  const timer = setInterval(() => void task(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
};

export interface AuditLoggerOptions {
  db: Database;
  clock: Clock;
  /** Keyed-hash key for personal data (≥ 32 bytes). */
  pseudonymKey: KeyObject | Buffer;
  /** Per-entry MAC key (≥ 32 bytes); never stored in the database. */
  macKey: KeyObject | Buffer;
  /** Ed25519 private key for tree heads. */
  signingKey: KeyObject;
  /** Checkpoint origin line; default derived from the public key. */
  origin?: string;
  /** Most entries per transaction (default 5,000). */
  maxBatch?: number;
  /** Sign a tree head this often when the log grew (default 10 s; 0 = only on demand). */
  signEveryMs?: number;
  scheduler?: Scheduler;
  onBatch?: (size: number, ms: number) => void;
  onError?: (error: unknown, what: string) => void;
  /**
   * Parallel verification (verify/parallel.ts): `runner` is called when a verification finds
   * the log big enough to split and returns the chunk runner to use (closed afterwards), or null
   * to verify sequentially.
   */
  parallelVerify?: { runner: () => ChunkRunner | null; chunkSize?: number };
}

export interface AppendReceipt {
  seq: number;
  /** Hex leaf hash: what an inclusion proof for this entry starts from. */
  leafHash: string;
}

export interface AuditLogger {
  /** Resolves once the entry is durably committed (never before), with its seq. */
  append(input: AuditEntryInput): Promise<AppendReceipt>;
  /** Waits until everything appended so far is committed. */
  flush(): Promise<void>;
  /** Signs (and stores) a head for the current size, or returns the stored one; null while empty. */
  signTreeHead(): Promise<SignedTreeHead | null>;
  /** The newest stored head with a valid signature (forged rows are stepped over). */
  latestTreeHead(): Promise<SignedTreeHead | null>;
  verify(options?: { onProgress?: (checked: number, total: number) => void; trustedHead?: SignedTreeHead }): Promise<VerifyReport>;
  proveInclusion(seq: number, treeSize?: number): Promise<InclusionProof>;
  proveConsistency(fromSize: number, toSize?: number): Promise<ConsistencyProof>;
  search(query: AuditQuery): Promise<{ entries: AuditEntry[]; nextCursor: number | null }>;
  /** JSON Lines: a header with a head signed for the export, then one canonical entry per line. */
  export(options?: { onProgress?: (written: number, total: number) => void }): AsyncGenerator<string>;
  /** The stored form of an actor/target search value (its pseudonym when it is personal). */
  storedIdentity(value: string): string;
  pseudonymise(kind: PersonalKind, value: string): string;
  readonly origin: string;
  readonly publicKey: KeyObject;
  /** Read-only access to the stored rows (hashes included). */
  readonly store: AuditReader;
  /** Flushes, signs a last head (failures go to onError) and stops the timer; later appends fail with AUDIT_UNAVAILABLE. */
  close(): Promise<void>;
}

export function createAuditLogger(options: AuditLoggerOptions): AuditLogger {
  const { db, clock, macKey, signingKey } = options;
  const store = createAuditStore(db);
  const pseudonymise = createPseudonymiser(options.pseudonymKey);
  if (signingKey.type !== 'private' || signingKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError('the audit signing key must be an Ed25519 private key');
  }
  const origin = options.origin ?? defaultOrigin(signingKey);
  const publicKey = createPublicKey(signingKey);
  const subtrees = createSubtreeReader(store);
  const written = new WrittenLeaves();
  const heads = createTreeHeadSigner({ store, subtrees, clock, origin, signingKey, publicKey, macKey, written });
  const proofs = createProofService(store, subtrees, heads);
  let knownSize = 0;
  let closed = false;

  const commit = createGroupCommit<PreparedEntry, AppendReceipt>(async (batch) => {
    let receipts: AppendReceipt[] = [];
    let leaves: Buffer[] = [];
    await store.appendBatch(batch.length, clock.now(), (tail) => {
      receipts = [];
      leaves = [];
      const nodes: AuditNodesTable[] = [];
      const entries = [];
      let prev = tail.lastLeaf;
      let seq = tail.size;
      for (const entry of batch) {
        const leaf = leafHash(canonicalEntry(entry, seq, prev.toString('hex')));
        entries.push(toEntryRow(entry, seq, leaf, entryMac(macKey, seq, leaf)));
        tail.range.append(leaf, (node) => {
          if (node.level % TILE_LEVELS === 0) nodes.push({ level: BigInt(node.level), idx: BigInt(node.index), hash: node.hash });
        });
        receipts.push({ seq, leafHash: leaf.toString('hex') });
        leaves.push(leaf);
        prev = leaf;
        seq++;
      }
      return { entries, nodes, range: tail.range, lastLeaf: prev };
    });
    const last = receipts[receipts.length - 1];
    if (last !== undefined) {
      knownSize = Math.max(knownSize, last.seq + 1);
      written.add((receipts[0] as AppendReceipt).seq, leaves);
    }
    return receipts;
  }, { maxBatch: options.maxBatch ?? 5_000, ...(options.onBatch ? { onBatch: options.onBatch } : {}) });

  const stopSigning = (options.signEveryMs ?? 10_000) > 0
    ? (options.scheduler ?? intervalScheduler)(async () => {
        try {
          await logger.signTreeHead();
        } catch (error) {
          options.onError?.(error, 'periodic tree head signing failed');
        }
      }, options.signEveryMs ?? 10_000)
    : () => undefined;

  // A separate object, so the write methods are not reachable at run time either.
  const reader: AuditReader = {
    size: () => store.size(), count: () => store.count(), entries: (from, limit) => store.entries(from, limit),
    entry: (seq) => store.entry(seq), treeHeadAt: (size) => store.treeHeadAt(size), treeHeads: (from, to) => store.treeHeads(from, to),
  };

  const logger: AuditLogger = {
    origin,
    publicKey,
    store: reader,
    async append(input) {
      if (closed) throw new AppError('AUDIT_UNAVAILABLE', 'The audit log is shut down.');
      return commit.submit(prepareEntry(input, clock.now(), pseudonymise));
    },
    flush: () => commit.drain(),
    signTreeHead: () => heads.sign(),
    latestTreeHead: () => heads.latest(),
    verify(verifyOptions = {}) {
      const base = { store, publicKey, macKey, knownSize, ...verifyOptions };
      const parallel = options.parallelVerify;
      if (parallel === undefined) return verifyAuditLog(base);
      return verifyAuditLogParallel({ ...base, runner: parallel.runner, ...(parallel.chunkSize !== undefined ? { chunkSize: parallel.chunkSize } : {}) });
    },
    proveInclusion: (seq, treeSize) => proofs.inclusion(seq, treeSize),
    proveConsistency: (fromSize, toSize) => proofs.consistency(fromSize, toSize),
    async search(query) {
      const page = await searchEntries(db, query);
      return { entries: page.entries.map(toAuditEntry), nextCursor: page.nextCursor };
    },
    export: (exportOptions = {}) => exportLines({ store, origin, publicKey, signTreeHead: () => logger.signTreeHead(), ...exportOptions }),
    storedIdentity(value) {
      const kind = personalKindOfValue(value, { phone: true });
      return kind === null ? value : pseudonymise(kind, value);
    },
    pseudonymise,
    async close() {
      if (closed) return;
      closed = true;
      stopSigning();
      await commit.drain();
      try {
        await logger.signTreeHead();
      } catch (error) {
        // Shutdown goes on; the failure (e.g. AUDIT_LOG_CORRUPT) is reported, not thrown.
        options.onError?.(error, 'final tree head not signed');
      }
    },
  };
  return logger;
}

