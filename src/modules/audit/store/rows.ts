/** Row ⇄ domain conversions for the audit tables (integer convention: bigint in, number out). */
import type { AuditEntriesTable, AuditTreeHeadsTable } from '../../../lib/db/schema.js';
import type { SignedTreeHead } from '../log/checkpoint.js';
import type { AuditEntry, AuditOutcome, JsonValue, PreparedEntry } from '../entry/types.js';

/** A stored entry with its hashes, as the verifier and the exporter read it. */
export interface StoredEntry extends PreparedEntry {
  seq: number;
  leafHash: Buffer;
  mac: Buffer;
}

export function toNumber(value: bigint, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`stored ${what} ${String(value)} is out of range`);
  return n;
}

export function fromEntryRow(row: AuditEntriesTable): StoredEntry {
  return {
    seq: toNumber(row.seq, 'seq'),
    time: toNumber(row.time, 'time'),
    actor: row.actor,
    action: row.action,
    target: row.target,
    outcome: row.outcome as AuditOutcome,
    ip: row.ip,
    requestId: row.request_id,
    details: row.details,
    // Both drivers hand back Buffers; no copy on the verifier's hot path.
    leafHash: row.leaf_hash,
    mac: row.mac,
  };
}

export function toEntryRow(entry: PreparedEntry, seq: number, leafHash: Buffer, mac: Buffer): AuditEntriesTable {
  return {
    seq: BigInt(seq),
    time: BigInt(entry.time),
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    outcome: entry.outcome,
    ip: entry.ip,
    request_id: entry.requestId,
    details: entry.details,
    leaf_hash: leafHash,
    mac,
  };
}

/** The public shape (SPEC §7). Stored details that no longer parse are shown, not hidden. */
export function toAuditEntry(entry: StoredEntry): AuditEntry {
  let details: Record<string, JsonValue>;
  try {
    const parsed = JSON.parse(entry.details) as unknown;
    details = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, JsonValue>) : { value: parsed as JsonValue };
  } catch {
    details = { _unparseable: entry.details.slice(0, 256) };
  }
  return {
    seq: entry.seq, time: entry.time, actor: entry.actor, action: entry.action, target: entry.target,
    outcome: entry.outcome, ip: entry.ip, requestId: entry.requestId, details,
  };
}

export function fromTreeHeadRow(row: AuditTreeHeadsTable): SignedTreeHead {
  return {
    treeSize: toNumber(row.tree_size, 'tree size'),
    rootHash: Buffer.from(row.root_hash),
    timestamp: toNumber(row.timestamp, 'timestamp'),
    origin: row.origin,
    keyId: row.key_id,
    signature: Buffer.from(row.signature),
  };
}

export function toTreeHeadRow(head: SignedTreeHead): AuditTreeHeadsTable {
  return {
    tree_size: BigInt(head.treeSize),
    root_hash: head.rootHash,
    timestamp: BigInt(head.timestamp),
    origin: head.origin,
    key_id: head.keyId,
    signature: head.signature,
  };
}
