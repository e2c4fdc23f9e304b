/**
 * What the live stream carries (SPEC §7 `GET /v1/admin/events`): `alert.raised` with the stored
 * alert, `alert.acked`, and every `incident.*` security event. The id is assigned once, by the
 * replica that publishes, so every replica's replay buffer knows the same ids.
 */
import type { SecurityEvent } from '../../../lib/events/index.js';

export interface LiveEvent {
  id: string;
  type: string;
  /** JSON-serialisable payload, as sent in the SSE `data:` line. */
  data: unknown;
}

/** Types a client may ask for with `?types=`: the exact alert types, or incident types. */
export const ALERT_TYPES = ['alert.raised', 'alert.acked'] as const;

export function isIncidentType(type: string): boolean {
  return type.startsWith('incident.');
}

/** The fields of an incident event an admin may see (the audit log has the rest). */
export function incidentPayload(event: SecurityEvent): Record<string, unknown> {
  return { type: event.type, time: event.time, actor: event.actor, target: event.target, outcome: event.outcome, details: event.details };
}

/** Parses a message from the shared channel; null for anything that is not a LiveEvent. */
export function parseLiveEvent(message: string): LiveEvent | null {
  try {
    const value = JSON.parse(message) as Partial<LiveEvent> | null;
    if (value === null || typeof value !== 'object' || typeof value.id !== 'string' || typeof value.type !== 'string') return null;
    return { id: value.id, type: value.type, data: value.data };
  } catch {
    return null;
  }
}
