/**
 * `q2 audit export`: JSON Lines that a third party verifies with docs/audit.md alone.
 *
 * Line 1 is a header: format, the Ed25519 public key, and a tree head signed for exactly the
 * exported entries (as a C2SP checkpoint note). Lines 2… are the entries, each line being the
 * entry's canonical JSON — byte for byte what was hashed — so the verifier hashes the line as
 * it stands: leaf = SHA-256(0x00 ‖ line), and never needs a JSON canonicaliser.
 */
import type { KeyObject } from 'node:crypto';

import { canonicalEntry, GENESIS_PREV } from '../entry/canonical.js';
import type { AuditStore } from '../store/audit-store.js';
import { checkpointNote, rawPublicKey, type SignedTreeHead } from './checkpoint.js';

export const EXPORT_FORMAT = 'q2-audit-export/1';

export interface ExportOptions {
  store: AuditStore;
  origin: string;
  publicKey: KeyObject;
  signTreeHead: () => Promise<SignedTreeHead | null>;
  onProgress?: (written: number, total: number) => void;
  pageSize?: number;
}

export async function* exportLines(options: ExportOptions): AsyncGenerator<string> {
  const head = await options.signTreeHead();
  const size = head?.treeSize ?? 0;
  yield `${JSON.stringify({
    format: EXPORT_FORMAT,
    origin: options.origin,
    publicKey: rawPublicKey(options.publicKey).toString('base64'),
    publicKeyPem: options.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    treeSize: size,
    checkpoint: head === null ? null : checkpointNote(head),
    leafHash: 'SHA-256(0x00 || line bytes)',
    nodeHash: 'SHA-256(0x01 || left || right)',
  })}\n`;
  let next = 0;
  let prev = GENESIS_PREV;
  const pageSize = options.pageSize ?? 5_000;
  while (next < size) {
    const page = await options.store.entries(next, Math.min(pageSize, size - next));
    if (page.length === 0) break;
    const lines: string[] = [];
    for (const entry of page) {
      // The stored leaf hash is the previous link as written; a damaged log exports as it is
      // and fails the third party's check at the damaged line, which is the point.
      lines.push(`${canonicalEntry(entry, entry.seq, prev)}\n`);
      prev = entry.leafHash.toString('hex');
      next = entry.seq + 1;
    }
    yield lines.join('');
    options.onProgress?.(next, size);
  }
}
