/**
 * Inclusion and consistency proofs served from storage (RFC 6962 §2.1.1/§2.1.2). Each proof
 * component is the hash of an RFC-aligned leaf range, split into perfect subtrees; a perfect
 * subtree at level L is read from the stored tile at level L − (L mod 8) — leaf hashes for
 * levels below 8 — and hashed up, so a component costs at most 128 stored hashes.
 */
import { AppError } from '../../../lib/errors/index.js';
import { HASH_SIZE, nodeHash } from '../merkle/hash.js';
import { consistencyPlan, foldSubtrees, inclusionPlan, perfectSubtrees, type LeafRange } from '../merkle/proof.js';
import type { AuditStore } from '../store/audit-store.js';

export const TILE_LEVELS = 8;

export function createSubtreeReader(store: AuditStore) {
  async function subtree(level: number, index: number): Promise<Buffer> {
    const base = level - (level % TILE_LEVELS);
    const width = 2 ** (level - base);
    const from = index * width;
    const hashes = base === 0 ? await store.leafHashes(from, from + width) : await store.nodes(base, from, from + width);
    if (hashes.length !== width || hashes.some((h) => h.length !== HASH_SIZE)) {
      throw new AppError('AUDIT_LOG_CORRUPT', 'Stored audit hashes are missing or damaged; run the audit verification.');
    }
    let layer = hashes;
    while (layer.length > 1) {
      const up: Buffer[] = [];
      for (let i = 0; i < layer.length; i += 2) up.push(nodeHash(layer[i] as Buffer, layer[i + 1] as Buffer));
      layer = up;
    }
    return layer[0] as Buffer;
  }

  async function rangeHash(range: LeafRange): Promise<Buffer> {
    const parts = perfectSubtrees(range);
    const hashes: Buffer[] = [];
    for (const part of parts) hashes.push(await subtree(part.level, part.index));
    return foldSubtrees(hashes);
  }

  return {
    subtree,
    rangeHash,
    /** MTH of the first `size` leaves. */
    root: (size: number) => rangeHash({ start: 0, end: size }),
    async inclusion(index: number, size: number): Promise<Buffer[]> {
      const plan = inclusionPlan(index, size);
      const out: Buffer[] = [];
      for (const range of plan) out.push(await rangeHash(range));
      return out;
    },
    async consistency(oldSize: number, newSize: number): Promise<Buffer[]> {
      const plan = consistencyPlan(oldSize, newSize);
      const out: Buffer[] = [];
      for (const range of plan) out.push(await rangeHash(range));
      return out;
    },
  };
}
