/**
 * Feeding the audit log from the security event bus, with each delivery awaiting durability
 * (so the bus's retries and dead letters cover a failed write) and still letting group commit
 * batch.
 *
 * The bus delivers to one subscriber strictly one event at a time and waits for its handler. A
 * single subscriber that awaits durability would therefore commit one entry per transaction.
 * So the log subscribes `lanes` times: every lane sees every event in emission order, and lane k
 * handles the events whose emission index ≡ k (mod lanes), skipping the rest at once. Up to
 * `lanes` events are in flight together and share a transaction. The emission index is assigned
 * by the first lane that sees an event — each lane sees the same sequence, so that is the
 * emission order — and remembered per event object, so a retried delivery keeps its index.
 * Entries of one batch are sequenced in arrival order; across lanes `seq` follows emission order
 * closely but not strictly (`time` is the event's own time).
 */
import type { SecurityEvent, SecurityEventBus } from '../../../lib/events/index.js';
import type { AuditEntryInput } from '../entry/types.js';
import type { AppendReceipt } from './audit-logger.js';

export const DEFAULT_LANES = 16;

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
  lanes = DEFAULT_LANES,
): () => void {
  if (!Number.isSafeInteger(lanes) || lanes < 1 || lanes > 256) throw new TypeError('audit lanes must be an integer in 1..256');
  const indexOf = new WeakMap<SecurityEvent, number>();
  let emitted = 0;
  const laneOf = (event: SecurityEvent): number => {
    let index = indexOf.get(event);
    if (index === undefined) {
      index = emitted++;
      indexOf.set(event, index);
    }
    return index % lanes;
  };
  const unsubscribers: (() => void)[] = [];
  for (let lane = 0; lane < lanes; lane++) {
    unsubscribers.push(events.subscribe(lanes === 1 ? 'audit' : `audit#${lane}`, async (event) => {
      if (laneOf(event) === lane) await sink.append(entryFromEvent(event));
    }));
  }
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
