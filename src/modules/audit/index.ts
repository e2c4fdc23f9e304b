/**
 * Audit log (SPEC §7, docs/audit.md): append-only, hash-chained entries that are the leaves of an
 * RFC 6962 Merkle tree, group-committed to SQLite/PostgreSQL, with Ed25519-signed C2SP
 * checkpoints, pseudonymised personal data, verification naming the first bad seq, inclusion
 * and consistency proofs, search and a third-party-verifiable export.
 */
export { createAuditCapability, type AuditCapability, type AuditCapabilityOptions } from './capability.js';
export {
  createAuditLogger,
  intervalScheduler,
  type AppendReceipt,
  type AuditLogger,
  type AuditLoggerOptions,
  type Scheduler,
} from './log/audit-logger.js';
export { DEFAULT_CONCURRENCY, entryFromEvent, subscribeAuditLog } from './log/subscription.js';
export type { AuditEntry, AuditEntryInput, AuditOutcome, JsonValue } from './entry/types.js';
export type { PersonalKind } from './entry/personal.js';
export type { AuditQuery } from './store/search.js';
export type { AuditReader } from './store/audit-store.js';
export type { StoredEntry } from './store/rows.js';
export type { ConsistencyProof, InclusionProof } from './log/proof-service.js';
export type { VerifyFailure, VerifyReport } from './verify/verifier.js';
export { DEFAULT_CHUNK_SIZE, inProcessChunkRunner, verifyAuditLogParallel, type ChunkRunner } from './verify/parallel.js';
export { verifyChunk, type ChunkJob, type ChunkResult } from './verify/chunk.js';
export { createWorkerChunkRunner } from './verify/worker-pool.js';
export {
  checkpointBody,
  checkpointNote,
  defaultOrigin,
  parseCheckpointNote,
  signTreeHead,
  verifyTreeHead,
  type SignedTreeHead,
  type TreeHead,
} from './log/checkpoint.js';
export { EXPORT_FORMAT } from './log/export.js';
export { AUDIT_KEY_ID, AUDIT_KEY_VERSION, auditKeysFromKeyManager, generateAuditKeys, type AuditKeys } from './keys/audit-keys.js';
export { EMPTY_ROOT, leafHash, nodeHash } from './merkle/hash.js';
export { rootFromInclusionProof, verifyConsistency, verifyInclusion, type ProofVerdict } from './merkle/verify.js';
