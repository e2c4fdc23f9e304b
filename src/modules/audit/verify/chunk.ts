/**
 * One aligned chunk of a parallel verification: seqs [from, to), where `from` is a multiple of
 * the chunk size (a power of two), so the chunk's leaves form perfect subtrees that splice onto
 * the prefix's compact range unchanged (see parallel.ts).
 *
 * A chunk needs nothing from the chunks before it except the stored leaf hash of `from − 1`
 * (the `prev` its first entry is chained to); the chunk before proves that same stored hash
 * equals its recomputed last leaf, so trusting it here loses nothing. A chunk answers only
 * "clean" or "not clean": naming the first bad seq is the sequential verifier's job, which runs
 * whenever any chunk is not clean, so both paths give the same report.
 */
import { canonicalEntry, GENESIS_PREV } from '../entry/canonical.js';
import { TILE_LEVELS } from '../log/proofs.js';
import { CompactRange, type CompletedNode } from '../merkle/compact-range.js';
import { leafHash } from '../merkle/hash.js';
import type { AuditStore } from '../store/audit-store.js';
import { firstDamagedTile } from './verifier.js';

export interface ChunkJob {
  from: number;
  to: number;
  /** Tree sizes in (from, to] at which a signed head exists: the partial range there is returned. */
  headSizes: readonly number[];
  pageSize: number;
}

export type ChunkResult =
  | {
    clean: true;
    /** The subtree hashes of the whole chunk (one hash when the chunk is full). */
    hashes: Uint8Array[];
    lastLeaf: Uint8Array;
    /** For each requested head size, the chunk's subtree hashes up to it. */
    snapshots: { size: number; hashes: Uint8Array[] }[];
  }
  | { clean: false };

export async function verifyChunk(store: AuditStore, job: ChunkJob): Promise<ChunkResult> {
  const { from, to } = job;
  let prev = GENESIS_PREV;
  if (from > 0) {
    const [before] = await store.leafHashes(from - 1, from);
    if (before === undefined) return { clean: false };
    prev = before.toString('hex');
  }
  const range = CompactRange.empty();
  const tiles: CompletedNode[] = [];
  const snapshots: { size: number; hashes: Uint8Array[] }[] = [];
  let h = 0;
  let next = from;
  let last: Buffer | null = null;
  while (next < to) {
    const page = await store.entries(next, Math.min(job.pageSize, to - next));
    if (page.length === 0) return { clean: false };
    for (const entry of page) {
      if (entry.seq !== next) return { clean: false };
      const leaf = leafHash(canonicalEntry(entry, next, prev));
      if (!leaf.equals(entry.leafHash)) return { clean: false };
      range.append(leaf, (node) => {
        // Local indexes: the chunk starts at a multiple of every tile width it completes.
        if (node.level % TILE_LEVELS === 0) tiles.push({ ...node, index: node.index + from / 2 ** node.level });
      });
      prev = leaf.toString('hex');
      last = leaf;
      next++;
      for (; h < job.headSizes.length && (job.headSizes[h] as number) <= next; h++) {
        if (job.headSizes[h] === next) snapshots.push({ size: next, hashes: [...range.hashes()] });
      }
    }
  }
  if (last === null || (await firstDamagedTile(store, tiles)) !== null) return { clean: false };
  return { clean: true, hashes: [...range.hashes()], lastLeaf: last, snapshots };
}
