/**
 * Security events as Elastic Common Schema (ECS 8.x) JSON documents. JSON escaping already keeps
 * every control character (newlines included) inside the string, so one document is one line.
 */
import type { SecurityEvent } from '../../lib/events/index.js';

/** Details may hold bigint (storage convention); JSON has no bigint, so it becomes a string. */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

const OUTCOME: Record<SecurityEvent['outcome'], string> = {
  success: 'success', failure: 'failure', denied: 'failure', info: 'unknown',
};

export function toEcs(event: SecurityEvent): Record<string, unknown> {
  return {
    '@timestamp': new Date(event.time).toISOString(),
    'ecs': { version: '8.11.0' },
    'event': {
      kind: 'event', category: ['iam'], action: event.type, outcome: OUTCOME[event.outcome],
      ...(event.outcome === 'denied' ? { type: ['denied'] } : {}),
    },
    'user': { id: event.actor, ...(event.target !== null ? { target: { id: event.target } } : {}) },
    ...(event.ip !== null ? { source: { ip: event.ip } } : {}),
    ...(event.requestId !== null ? { http: { request: { id: event.requestId } } } : {}),
    'labels': { q2_outcome: event.outcome },
    'q2': { details: event.details },
  };
}

export function formatEcs(event: SecurityEvent): string {
  return safeJson(toEcs(event));
}
