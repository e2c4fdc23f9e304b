/**
 * The audit capability: an AuditLogger fed by the security event bus, its admin routes, and a
 * shutdown that drains the bus, commits everything queued and signs a last tree head.
 *
 * Keys come from the platform key ring (keys/audit-keys.ts); `keys` overrides them.
 */
import { availableParallelism } from 'node:os';

import { Counter, Histogram } from 'prom-client';

import { isAppError } from '../../lib/errors/index.js';
import type { Capability, PlatformCore } from '../../server/capability.js';
import { auditRoutes } from './http/routes.js';
import { auditKeysFromKeyManager, type AuditKeys } from './keys/audit-keys.js';
import { createAuditLogger, type AuditLogger, type Scheduler } from './log/audit-logger.js';
import { DEFAULT_CONCURRENCY, subscribeAuditLog } from './log/subscription.js';
import { createWorkerChunkRunner } from './verify/worker-pool.js';

export interface AuditCapabilityOptions {
  keys?: AuditKeys;
  /** Bus deliveries awaiting durability together (see log/subscription.ts). */
  concurrency?: number;
  signEveryMs?: number;
  scheduler?: Scheduler;
}

export interface AuditCapability extends Capability {
  logger: AuditLogger;
}

export async function createAuditCapability(core: PlatformCore, options: AuditCapabilityOptions = {}): Promise<AuditCapability> {
  const keys = options.keys ?? await auditKeysFromKeyManager(core.crypto.keyManager);

  const entries = new Counter({ name: 'q2_audit_entries_total', help: 'Audit entries durably committed', registers: [core.metrics] });
  const batchSize = new Histogram({
    name: 'q2_audit_batch_size', help: 'Entries per audit group commit',
    buckets: [1, 2, 4, 8, 16, 64, 256, 1024, 4096], registers: [core.metrics],
  });
  const commitSeconds = new Histogram({
    name: 'q2_audit_commit_seconds', help: 'Duration of one audit group commit (sequencing, hashing, durable write)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5], registers: [core.metrics],
  });

  let lastIntegrityAlert = '';
  const logger = createAuditLogger({
    db: core.db,
    clock: core.clock,
    ...keys,
    ...(options.signEveryMs !== undefined ? { signEveryMs: options.signEveryMs } : {}),
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    // Verification checks aligned chunks in worker threads when the build has them (dist/).
    parallelVerify: {
      runner: () => createWorkerChunkRunner({ databaseUrl: core.config.storage.databaseUrl, workers: Math.min(availableParallelism(), 4) }),
    },
    onBatch: (size, ms) => {
      entries.inc(size);
      batchSize.observe(size);
      commitSeconds.observe(ms / 1000);
    },
    onError: (error, what) => {
      core.logger.error({ err: error }, what);
      // A log that cannot be signed was tampered with: that is a security event in itself
      // (once per distinct finding, not every signing interval).
      if (isAppError(error) && error.code === 'AUDIT_LOG_CORRUPT' && error.detail !== lastIntegrityAlert) {
        lastIntegrityAlert = error.detail;
        core.events.emit({ type: 'audit.integrity_failed', actor: 'system', outcome: 'failure', details: { detail: error.detail } });
      }
    },
  });
  const unsubscribe = subscribeAuditLog(core.events, logger, options.concurrency ?? DEFAULT_CONCURRENCY);

  return {
    name: 'audit',
    logger,
    routes: [auditRoutes({ logger, events: core.events })],
    async close() {
      // Events still queued on the bus are part of the record: deliver them before closing.
      await core.events.drain();
      unsubscribe();
      await logger.close();
    },
  };
}
