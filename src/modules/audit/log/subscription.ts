/**
 * Feeding the audit log from the security event bus, with each delivery awaiting durability
 * (so the bus's retries and dead letters cover a failed write) and still letting group commit
 * batch.
 *
 * A sequential subscriber that awaits durability would commit one entry per transaction. So the
 * log subscribes with a `concurrency`: the bus starts deliveries in emission order — each calls
 * `append` at once, which fixes the entry's place in the next batch — and keeps up to that many
 * awaiting their commit together. `seq` therefore follows emission order, except for an entry
 * whose first append failed and was retried by the bus (`time` is always the event's own).
 */
import type { SecurityEvent, SecurityEventBus } from '../../../lib/events/index.js';
import type { AuditEntryInput } from '../entry/types.js';
import type { AppendReceipt } from './audit-logger.js';

/** Appends awaiting durability at once: the largest batch the bus alone can hand one commit. */
export const DEFAULT_CONCURRENCY = 1_024;

/** SPEC §7: action = the event's `type`; everything else carries over. */
export function entryFromEvent(event: SecurityEvent): AuditEntryInput {
  return {
    action: event.type,
    actor: event.actor,
    outcome: event.outcome,
    time: event.time,
    target: event.target,
    ip: event.ip,
    requestId: event.requestId,
    details: event.details,
  };
}

export function subscribeAuditLog(
  events: SecurityEventBus,
  sink: { append(input: AuditEntryInput): Promise<AppendReceipt> },
  concurrency = DEFAULT_CONCURRENCY,
): () => void {
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 65_536) {
    throw new TypeError('audit subscription concurrency must be an integer in 1..65536');
  }
  return events.subscribe('audit', async (event) => {
    await sink.append(entryFromEvent(event));
  }, { concurrency });
}
