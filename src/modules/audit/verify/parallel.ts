/**
 * Parallel verification: the log is cut into aligned chunks of 2^k entries that workers check
 * independently (chunk.ts); this thread splices their subtree hashes in seq order, checks every
 * signed head inside them and the tiles their merges complete, then lets the sequential verifier
 * finish from the last chunk boundary (the unaligned tail, the end-of-log checks, the MACs of
 * entries no head vouches for).
 *
 * Why it is sound: a chunk is clean only if every entry in it is present, in order, and hashes
 * to its stored leaf with `prev` = the stored leaf before the chunk — which the previous chunk
 * showed to be its recomputed last leaf. So all chunks clean ⇔ the sequential walk would have
 * found every leaf equal. Because `from` is a multiple of the chunk size, the chunk's subtree
 * hashes are exactly the compact-range hashes the sequential walk would have appended, so heads
 * and tiles are checked against the same roots and nodes.
 *
 * Any chunk that is not clean, any failed head or tile, or any worker failure hands the whole
 * log to the sequential verifier, so the report (first bad seq, reason) is always the
 * sequential one; the parallel pass only makes the common, intact case faster.
 */
import { verifyTreeHead, type SignedTreeHead } from '../log/checkpoint.js';
import { TILE_LEVELS } from '../log/proofs.js';
import { CompactRange, type CompletedNode } from '../merkle/compact-range.js';
import type { ChunkJob, ChunkResult } from './chunk.js';
import { firstDamagedTile, verifyAuditLog, type VerifyOptions, type VerifyReport } from './verifier.js';

/** Runs chunk jobs somewhere (worker threads, or in-process for tests). */
export interface ChunkRunner {
  run(job: ChunkJob): Promise<ChunkResult>;
  close?(): Promise<void>;
}

export interface ParallelVerifyOptions extends VerifyOptions {
  /**
   * Creates the runner, only once the log is big enough to split (at least two chunks); null
   * means verify sequentially. The runner is closed when the verification ends.
   */
  runner: () => ChunkRunner | null;
  /** Entries per chunk, a power of two (default 2^14: enough chunks to keep every worker busy to the end). */
  chunkSize?: number;
}

export const DEFAULT_CHUNK_SIZE = 2 ** 14;

const buffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export async function verifyAuditLogParallel(options: ParallelVerifyOptions): Promise<VerifyReport> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const chunkLevel = Math.log2(chunkSize);
  if (!Number.isInteger(chunkLevel) || chunkLevel < 1 || chunkLevel > 30) throw new TypeError('chunkSize must be a power of two in 2..2^30');
  const sequential = async (): Promise<VerifyReport> => ({ ...await verifyAuditLog(options), verifiedBy: 'sequential' });

  const startSize = await options.store.size();
  const chunks = Math.floor(startSize / chunkSize);
  const runner = chunks < 2 ? null : options.runner();
  if (runner === null) return sequential();
  let report: VerifyReport | null;
  try {
    report = await verifyChunks(options, runner, { startSize, chunks, chunkSize, chunkLevel });
  } finally {
    // Before any sequential fallback: the workers stop taking chunks nobody will read.
    await runner.close?.();
  }
  return report ?? sequential();
}

/** The report when every chunk, head and tile is clean; null when the log must be verified sequentially. */
async function verifyChunks(
  options: ParallelVerifyOptions,
  runner: ChunkRunner,
  { startSize, chunks, chunkSize, chunkLevel }: { startSize: number; chunks: number; chunkSize: number; chunkLevel: number },
): Promise<VerifyReport | null> {
  const { store, publicKey } = options;
  const end = chunks * chunkSize;

  const heads: SignedTreeHead[] = await store.treeHeads(0, end);
  if (options.trustedHead && options.trustedHead.treeSize > 0 && options.trustedHead.treeSize <= end) heads.push(options.trustedHead);
  heads.sort((a, b) => a.treeSize - b.treeSize);
  // Heads grouped by the chunk that ends at or after them, once (a long log has many heads).
  const headsByChunk = new Map<number, SignedTreeHead[]>();
  for (const head of heads) {
    const k = Math.ceil(head.treeSize / chunkSize) - 1;
    const group = headsByChunk.get(k);
    if (group) group.push(head);
    else headsByChunk.set(k, [head]);
  }
  const headsOf = (k: number): readonly SignedTreeHead[] => headsByChunk.get(k) ?? [];

  const pageSize = options.pageSize ?? 5_000;
  // Every job is handed to the runner at once; it bounds how many run together.
  const results = Array.from({ length: chunks }, (_, k) => runner.run({
    from: k * chunkSize, to: (k + 1) * chunkSize, headSizes: headsOf(k).map((head) => head.treeSize), pageSize,
  }));
  // A rejected job we stop waiting for must not become an unhandled rejection.
  for (const result of results) result.catch(() => undefined);

  const range = CompactRange.empty();
  let verifiedHead: SignedTreeHead | null = null;
  let headsChecked = 0;
  let vouched = 0;
  let lastLeaf: Buffer | null = null;
  for (let k = 0; k < chunks; k++) {
    let result: ChunkResult;
    try {
      result = await (results[k] as Promise<ChunkResult>);
    } catch {
      return null;
    }
    if (!result.clean || result.hashes.length !== 1) return null;
    for (const head of headsOf(k)) {
      const snapshot = result.snapshots.find((s) => s.size === head.treeSize);
      if (snapshot === undefined) return null;
      headsChecked++;
      const root = CompactRange.rootOfSpliced(range.hashes(), snapshot.hashes.map(buffer));
      if (!verifyTreeHead(head, publicKey).ok || !root.equals(head.rootHash)) return null;
      verifiedHead = head;
      vouched = head.treeSize;
    }
    const tiles: CompletedNode[] = [];
    range.appendSubtree(buffer(result.hashes[0] as Uint8Array), chunkLevel, (node) => {
      if (node.level % TILE_LEVELS === 0) tiles.push(node);
    });
    if ((await firstDamagedTile(store, tiles)) !== null) return null;
    lastLeaf = buffer(result.lastLeaf);
    options.onProgress?.(range.size, Math.max(startSize, range.size));
  }
  const report = await verifyAuditLog(options, {
    next: end, prev: (lastLeaf as Buffer).toString('hex'), range, verifiedHead, headsChecked, vouched,
  });
  // A problem in the tail is reported as the sequential verifier names it, from the start.
  return report.ok ? { ...report, verifiedBy: 'parallel' } : null;
}

/** Runs chunks in this thread, one after another: the algorithm without threads (tests). */
export function inProcessChunkRunner(run: (job: ChunkJob) => Promise<ChunkResult>): ChunkRunner {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    run(job) {
      const result = queue.then(() => run(job));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
