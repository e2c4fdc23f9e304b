/**
 * Pull sources: feeds the platform polls instead of being pushed to. An adapter only fetches;
 * what it returns is untrusted and goes through exactly the same ingest path as a pushed
 * update (shape check, registered key, signature, sequence, bounds), so a compromised or
 * spoofed pull endpoint has no more power than an attacker posting to the push endpoint.
 *
 * One poll per adapter at a time (a slow endpoint is skipped, never stacked), each bounded by
 * `timeoutMs` through an AbortSignal, and at most `maxUpdatesPerPoll` updates taken from one
 * answer.
 */
import type { IngestContext, IngestResult } from '../service/ingest.js';
import { parseSignedUpdate, type SignedPriceUpdate } from './update.js';

export interface PriceSourceAdapter {
  /** For logs and metrics; not trusted as a source id (the signed updates name their source). */
  readonly name: string;
  /** Fetches the latest signed updates; may return anything (it is validated). */
  fetch(signal: AbortSignal): Promise<unknown>;
}

export interface PollReport {
  adapter: string;
  accepted: number;
  rejected: number;
  malformed: number;
  error: string | null;
}

export interface PullerOptions {
  adapters: readonly PriceSourceAdapter[];
  ingest(update: SignedPriceUpdate, ctx: IngestContext): Promise<IngestResult>;
  timeoutMs?: number;
  maxUpdatesPerPoll?: number;
  onReport?(report: PollReport): void;
}

export interface Puller {
  /** Polls every adapter once (those still busy from the last round are skipped). */
  pollOnce(): Promise<PollReport[]>;
}

export function createPuller(options: PullerOptions): Puller {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const maxUpdates = options.maxUpdatesPerPoll ?? 256;
  const busy = new Set<PriceSourceAdapter>();

  async function poll(adapter: PriceSourceAdapter): Promise<PollReport> {
    const report: PollReport = { adapter: adapter.name, accepted: 0, rejected: 0, malformed: 0, error: null };
    let answer: unknown;
    try {
      answer = await adapter.fetch(AbortSignal.timeout(timeoutMs));
    } catch (error) {
      report.error = error instanceof Error ? error.name : 'fetch failed';
      return report;
    }
    const items = Array.isArray(answer) ? answer.slice(0, maxUpdates) : [answer];
    for (const item of items) {
      const update = parseSignedUpdate(item);
      if (!update) {
        report.malformed++;
        continue;
      }
      const result = await options.ingest(update, { via: 'pull', ip: null, requestId: null });
      if (result.ok) report.accepted++;
      else report.rejected++;
    }
    return report;
  }

  return {
    async pollOnce() {
      const ready = options.adapters.filter((a) => !busy.has(a));
      return Promise.all(ready.map(async (adapter) => {
        busy.add(adapter);
        try {
          const report = await poll(adapter);
          options.onReport?.(report);
          return report;
        } finally {
          busy.delete(adapter);
        }
      }));
    },
  };
}
