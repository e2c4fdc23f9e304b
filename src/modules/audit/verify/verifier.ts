/**
 * Full verification of the stored log. Walks every entry in seq order and checks, for each:
 *
 * 1. its seq is the next one (a gap is a deleted entry);
 * 2. SHA-256(0x00 ‖ canonical entry, with `prev` = the leaf we recomputed before it) equals the
 *    stored leaf hash (catches edits, insertions and reorderings that left the hashes alone);
 * 3. every signed tree head has a valid Ed25519 signature and the root of the leaves so far;
 * 4. entries no valid head vouches for carry a valid MAC (catches an attacker who rewrote an
 *    entry and recomputed every hash after it — that needs no secret, the MAC does);
 * 5. the stored Merkle tiles that proofs are built from equal the recomputed subtrees (a damaged
 *    tile is reported at the first seq it covers: proofs for those entries would not verify).
 *
 * Then the log's end: the state row, the caller's own knowledge (`knownSize`, a `trustedHead`)
 * and any signed head beyond the last entry must not claim more entries than there are.
 *
 * MACs are checked lazily: a head whose root matches vouches for everything before it, so only
 * the entries after the last such head — and, when something fails, the entries between the last
 * good head and the failure — have their MAC computed (re-read from storage; their stored leaf
 * hashes were just shown to equal the recomputed ones). That keeps verification at about two
 * SHA-256 per entry with O(log n) memory. Every problem is reported at the smallest seq any
 * check can name, so the answer does not depend on which check fired first.
 */
import type { KeyObject } from 'node:crypto';

import { canonicalEntry, GENESIS_PREV } from '../entry/canonical.js';
import { verifyTreeHead, type SignedTreeHead } from '../log/checkpoint.js';
import { macMatches } from '../log/mac.js';
import { CompactRange, type CompletedNode } from '../merkle/compact-range.js';
import { TILE_LEVELS } from '../log/proofs.js';
import { leafHash } from '../merkle/hash.js';
import type { AuditStore } from '../store/audit-store.js';

export type VerifyFailure =
  | 'entry-missing' | 'entry-altered' | 'entry-forged' | 'entry-unaccounted'
  | 'truncated' | 'tree-head-forged' | 'tree-head-mismatch' | 'tree-node-altered';

export interface VerifyReport {
  ok: boolean;
  /** Entries present in the log (contiguous from seq 0 up to the first problem). */
  entries: number;
  firstBadSeq?: number;
  reason?: VerifyFailure;
  detail?: string;
  /** The newest signed head whose signature and root both verified. */
  treeHead: SignedTreeHead | null;
  treeHeadsChecked: number;
  /** `parallel`: aligned chunks were checked by workers, then the tail sequentially (parallel.ts). */
  verifiedBy?: 'parallel' | 'sequential';
}

/** Where a verification continues after a parallel pass proved everything before `next`. */
export interface VerifyResume {
  next: number;
  prev: string;
  range: CompactRange;
  verifiedHead: SignedTreeHead | null;
  headsChecked: number;
  /** Every entry below this seq is vouched for by a head with a valid signature and root. */
  vouched: number;
}

export interface VerifyOptions {
  store: AuditStore;
  publicKey: KeyObject;
  macKey: KeyObject | Buffer;
  /** A size this process itself saw committed; fewer entries means truncation. */
  knownSize?: number;
  /** A head kept outside the database (e.g. from an earlier export). */
  trustedHead?: SignedTreeHead;
  pageSize?: number;
  onProgress?: (checked: number, total: number) => void;
}

export async function verifyAuditLog(options: VerifyOptions, resume?: VerifyResume): Promise<VerifyReport> {
  const { store, publicKey, macKey } = options;
  const pageSize = options.pageSize ?? 5_000;
  const startSize = await store.size();
  const range = resume?.range ?? CompactRange.empty();
  let next = resume?.next ?? 0;
  let prev = resume?.prev ?? GENESIS_PREV;
  let verifiedHead: SignedTreeHead | null = resume?.verifiedHead ?? null;
  let headsChecked = resume?.headsChecked ?? 0;
  /** Every entry below this seq is vouched for by a head with a valid signature and root. */
  let vouched = resume?.vouched ?? 0;

  /** First entry in [from, to) whose MAC does not match its (already verified) leaf hash. */
  const firstForged = async (from: number, to: number): Promise<number | null> => {
    for (let at = from; at < to;) {
      const page = await store.entries(at, Math.min(pageSize, to - at));
      if (page.length === 0) return null;
      for (const entry of page) if (entry.seq < to && !macMatches(macKey, entry.seq, entry.leafHash, entry.mac)) return entry.seq;
      at = (page[page.length - 1] as { seq: number }).seq + 1;
    }
    return null;
  };
  /** A failure at `seq`, unless an earlier entry turns out to be forged. */
  const report = async (seq: number, reason: VerifyFailure, detail: string): Promise<VerifyReport> => {
    const forged = await firstForged(vouched, Math.min(seq + 1, next));
    const [badSeq, why, text] = forged !== null && forged <= seq
      ? [forged, 'entry-forged' as const, `entry ${forged}: MAC does not match; the entry and the hashes after it were rewritten`]
      : [seq, reason, detail];
    return { ok: false, entries: next, firstBadSeq: badSeq, reason: why, detail: text, treeHead: verifiedHead, treeHeadsChecked: headsChecked };
  };
  const checkHead = async (head: SignedTreeHead): Promise<VerifyReport | null> => {
    headsChecked++;
    const signature = verifyTreeHead(head, publicKey);
    if (!signature.ok) return report(head.treeSize - 1, 'tree-head-forged', `tree head ${head.treeSize}: ${signature.reason}`);
    if (!range.root().equals(head.rootHash)) return report(head.treeSize - 1, 'tree-head-mismatch', `tree head ${head.treeSize}: root does not match the entries`);
    verifiedHead = head;
    vouched = head.treeSize;
    return null;
  };

  for (;;) {
    const page = await store.entries(next, pageSize);
    if (page.length === 0) break;
    const lastSeq = (page[page.length - 1] as { seq: number }).seq;
    const heads = await store.treeHeads(next, lastSeq + 1);
    if (options.trustedHead && options.trustedHead.treeSize > next && options.trustedHead.treeSize <= lastSeq + 1) {
      heads.push(options.trustedHead);
      heads.sort((a, b) => a.treeSize - b.treeSize);
    }
    let h = 0;
    const tiles: CompletedNode[] = [];
    for (const entry of page) {
      if (entry.seq !== next) return report(next, 'entry-missing', `entry ${next} is missing (the next stored seq is ${entry.seq})`);
      const leaf = leafHash(canonicalEntry(entry, next, prev));
      if (!leaf.equals(entry.leafHash)) return report(next, 'entry-altered', `entry ${next} does not match its hash chain`);
      range.append(leaf, (node) => {
        if (node.level % TILE_LEVELS === 0) tiles.push(node);
      });
      prev = leaf.toString('hex');
      next++;
      for (; h < heads.length && (heads[h] as SignedTreeHead).treeSize === next; h++) {
        const failure = await checkHead(heads[h] as SignedTreeHead);
        if (failure) return failure;
      }
    }
    const damaged = await firstDamagedTile(store, tiles);
    if (damaged !== null) {
      return report(damaged.index * 2 ** damaged.level, 'tree-node-altered', `stored tree node ${damaged.level}/${damaged.index} does not match the entries`);
    }
    options.onProgress?.(next, Math.max(startSize, next));
    // better-sqlite3 reads synchronously: let requests in between pages of a long verification.
    await new Promise((resolve) => setImmediate(resolve));
  }

  // The end of the log: nothing may claim more entries than there are.
  for (const head of await store.treeHeads(next, Number.MAX_SAFE_INTEGER)) {
    headsChecked++;
    const signature = verifyTreeHead(head, publicKey);
    if (!signature.ok) return report(next, 'tree-head-forged', `tree head ${head.treeSize}: ${signature.reason}`);
    return report(next, 'truncated', `a signed tree head covers ${head.treeSize} entries but only ${next} remain`);
  }
  if (options.trustedHead && options.trustedHead.treeSize > next) {
    const signature = verifyTreeHead(options.trustedHead, publicKey);
    if (!signature.ok) return report(next, 'tree-head-forged', `the trusted tree head: ${signature.reason}`);
    return report(next, 'truncated', `the trusted tree head covers ${options.trustedHead.treeSize} entries but only ${next} remain`);
  }
  if (startSize > next || (options.knownSize ?? 0) > next) {
    return report(next, 'truncated', `${Math.max(startSize, options.knownSize ?? 0)} entries were committed but only ${next} remain`);
  }
  const endSize = await store.size();
  if (endSize < next) return report(endSize, 'entry-unaccounted', `entries from ${endSize} were added outside the audit logger`);
  const forged = await firstForged(vouched, next);
  if (forged !== null) return report(forged, 'entry-forged', `entry ${forged}: MAC does not match`);
  return { ok: true, entries: next, treeHead: verifiedHead, treeHeadsChecked: headsChecked };
}

/** The first recomputed tile whose stored copy is missing or different. */
export async function firstDamagedTile(store: AuditStore, tiles: readonly CompletedNode[]): Promise<CompletedNode | null> {
  const byLevel = new Map<number, CompletedNode[]>();
  for (const tile of tiles) byLevel.set(tile.level, [...(byLevel.get(tile.level) ?? []), tile]);
  let first: CompletedNode | null = null;
  for (const [level, nodes] of byLevel) {
    const from = (nodes[0] as CompletedNode).index;
    const stored = await store.nodes(level, from, from + nodes.length);
    const bad = nodes.find((n, i) => !(stored[i]?.equals(n.hash) ?? false));
    if (bad !== undefined && (first === null || bad.index * 2 ** bad.level < first.index * 2 ** first.level)) first = bad;
  }
  return first;
}
