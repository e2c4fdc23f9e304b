/**
 * Signing tree heads without trusting the database. The state row and the stored hashes can be
 * rewritten by anyone with write access to the database, so a head is signed only over leaves
 * that were checked since the previous authentic head:
 *
 * 1. the newest stored head with a valid signature is the anchor; its compact range is rebuilt
 *    from the stored subtree hashes and must fold to its signed root (or is kept from this
 *    process's previous signing);
 * 2. every leaf after it must sit at the next seq and carry a valid MAC for that seq — only a
 *    holder of the MAC key can have written it;
 * 3. those leaves extend the anchor's range, and the new root is signed.
 *
 * So a rewritten tail is never vouched for by a signature: signing fails loudly
 * (AUDIT_LOG_CORRUPT) and verification names the entry. The cost is one HMAC per entry per
 * signing interval.
 */
import type { KeyObject } from 'node:crypto';

import type { Clock } from '../../../lib/clock/index.js';
import { AppError } from '../../../lib/errors/index.js';
import { CompactRange } from '../merkle/compact-range.js';
import { perfectSubtrees } from '../merkle/proof.js';
import type { AuditStore } from '../store/audit-store.js';
import { signTreeHead, verifyTreeHead, type SignedTreeHead } from './checkpoint.js';
import { macMatches } from './mac.js';
import type { WrittenLeaves } from './written-leaves.js';
import type { createSubtreeReader } from './proofs.js';

export interface SignerDeps {
  store: AuditStore;
  subtrees: ReturnType<typeof createSubtreeReader>;
  clock: Clock;
  origin: string;
  signingKey: KeyObject;
  publicKey: KeyObject;
  macKey: KeyObject | Buffer;
  /** Leaves this process wrote: trusted without a MAC check. */
  written?: WrittenLeaves;
  pageSize?: number;
}

const corrupt = (detail: string) => new AppError('AUDIT_LOG_CORRUPT', `Not signing the audit log: ${detail}. Run the audit verification.`);
/** How many forged heads (bad signatures) to step over when looking for the anchor. */
const MAX_SKIPPED_HEADS = 100;

export function createTreeHeadSigner(deps: SignerDeps) {
  const { store, subtrees, publicKey, macKey } = deps;
  const pageSize = deps.pageSize ?? 5_000;
  /** An authentic compact range: of a head this process signed or checked. */
  let anchor: { size: number; range: CompactRange } = { size: 0, range: CompactRange.empty() };

  async function newestAuthenticHead(): Promise<SignedTreeHead | null> {
    let below = Number.MAX_SAFE_INTEGER;
    for (let skipped = 0; skipped < MAX_SKIPPED_HEADS; skipped++) {
      const [head] = await store.treeHeadsBelow(below, 1);
      if (head === undefined) return null;
      if (verifyTreeHead(head, publicKey).ok) return head;
      below = head.treeSize;
    }
    throw corrupt('too many tree heads with invalid signatures');
  }

  async function anchorAt(head: SignedTreeHead | null): Promise<{ size: number; range: CompactRange }> {
    if (head === null) return { size: 0, range: CompactRange.empty() };
    if (anchor.size === head.treeSize && anchor.range.root().equals(head.rootHash)) return anchor;
    const parts = perfectSubtrees({ start: 0, end: head.treeSize });
    const hashes: Buffer[] = [];
    for (const part of parts) hashes.push(await subtrees.subtree(part.level, part.index));
    const range = CompactRange.deserialize(head.treeSize, Buffer.concat(hashes));
    if (!range.root().equals(head.rootHash)) throw corrupt(`stored hashes do not match the signed head at ${head.treeSize}`);
    return { size: head.treeSize, range };
  }

  async function sign(): Promise<SignedTreeHead | null> {
    const size = await store.size();
    const latest = await newestAuthenticHead();
    if (latest !== null && latest.treeSize > size) throw corrupt(`a signed head covers ${latest.treeSize} entries but the log has ${size}`);
    if (latest !== null && latest.treeSize === size) return latest;
    if (size === 0) return null;
    const base = await anchorAt(latest);
    const range = base.range.clone();
    for (let at = base.size; at < size;) {
      const page = await store.leafMacs(at, Math.min(size, at + pageSize));
      if (page.length === 0) throw corrupt(`entry ${at} is missing`);
      for (const row of page) {
        if (row.seq !== at) throw corrupt(`entry ${at} is missing`);
        const mine = deps.written?.get(row.seq);
        if (mine ? !mine.equals(row.leafHash) : !macMatches(macKey, row.seq, row.leafHash, row.mac)) {
          throw corrupt(`entry ${at} was not written by the audit logger`);
        }
        range.append(row.leafHash);
        at++;
      }
    }
    const head = signTreeHead({ treeSize: size, rootHash: range.root(), timestamp: deps.clock.now() }, deps.origin, deps.signingKey);
    await store.insertTreeHead(head);
    anchor = { size, range };
    deps.written?.dropBelow(size);
    // Another replica may have stored its head for this size first; both are over the same leaves.
    return (await store.treeHeadAt(size)) ?? head;
  }

  /** `sign` signs (or returns) the head for the current size; `latest` skips heads with bad signatures. */
  return { sign, latest: newestAuthenticHead };
}
