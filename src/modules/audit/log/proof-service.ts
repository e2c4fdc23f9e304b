/**
 * Proof requests against the live log: bounds checks (AUDIT_RANGE_INVALID / NOT_FOUND), the
 * signed head to verify against, and the hashes from storage. Without an explicit tree size the
 * proof is made against the newest signed head, signing one on demand when the entry is newer
 * than every head — so a client always receives a proof it can check against a signature.
 */
import { AppError } from '../../../lib/errors/index.js';
import type { AuditEntry } from '../entry/types.js';
import type { AuditStore } from '../store/audit-store.js';
import { toAuditEntry } from '../store/rows.js';
import type { SignedTreeHead } from './checkpoint.js';
import type { createSubtreeReader } from './proofs.js';

export interface InclusionProof {
  seq: number;
  treeSize: number;
  leafHash: Buffer;
  /** Audit path, leaf level first (RFC 6962 PATH order). */
  proof: Buffer[];
  rootHash: Buffer;
  /** The signed head for `treeSize`, when one exists. */
  treeHead: SignedTreeHead | null;
  entry: AuditEntry;
}

export interface ConsistencyProof {
  fromSize: number;
  toSize: number;
  fromRoot: Buffer;
  toRoot: Buffer;
  proof: Buffer[];
  fromHead: SignedTreeHead | null;
  toHead: SignedTreeHead | null;
}

export function createProofService(
  store: AuditStore,
  subtrees: ReturnType<typeof createSubtreeReader>,
  heads: { sign(): Promise<SignedTreeHead | null>; latest(): Promise<SignedTreeHead | null> },
) {

  /** The head to prove against: the caller's size, else the newest head covering `atLeast`. */
  async function target(treeSize: number | undefined, atLeast: number): Promise<{ size: number; head: SignedTreeHead | null }> {
    const current = await store.size();
    if (treeSize !== undefined) {
      if (treeSize < atLeast || treeSize > current || treeSize < 1) {
        throw new AppError('AUDIT_RANGE_INVALID', `Tree size must be between ${Math.max(1, atLeast)} and ${current}.`);
      }
      return { size: treeSize, head: await store.treeHeadAt(treeSize) };
    }
    let head = await heads.latest();
    if (head === null || head.treeSize < atLeast) head = await heads.sign();
    if (head === null || head.treeSize < atLeast) throw new AppError('AUDIT_RANGE_INVALID', 'The audit log has no such entry yet.');
    return { size: head.treeSize, head };
  }

  return {
    async inclusion(seq: number, treeSize?: number): Promise<InclusionProof> {
      const stored = await store.entry(seq);
      if (stored === null) throw new AppError('NOT_FOUND', 'No such audit entry.');
      const { size, head } = await target(treeSize, seq + 1);
      const proof = await subtrees.inclusion(seq, size);
      const rootHash = head?.rootHash ?? await subtrees.root(size);
      return { seq, treeSize: size, leafHash: stored.leafHash, proof, rootHash, treeHead: head, entry: toAuditEntry(stored) };
    },

    async consistency(fromSize: number, toSize?: number): Promise<ConsistencyProof> {
      if (fromSize < 1) throw new AppError('AUDIT_RANGE_INVALID', 'The first tree size must be at least 1.');
      const to = await target(toSize, fromSize);
      const proof = await subtrees.consistency(fromSize, to.size);
      const fromHead = await store.treeHeadAt(fromSize);
      return {
        fromSize,
        toSize: to.size,
        fromRoot: fromHead?.rootHash ?? await subtrees.root(fromSize),
        toRoot: to.head?.rootHash ?? await subtrees.root(to.size),
        proof,
        fromHead,
        toHead: to.head,
      };
    },
  };
}
