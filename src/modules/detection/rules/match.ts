/**
 * Pure matching of security events against rule matchers, and field extraction for group keys
 * and distinct values. No I/O: the engine decides what to store.
 */
import type { SecurityEvent } from '../../../lib/events/index.js';
import type { EventField, EventMatcher, EventSummary } from './types.js';

/** Group keys and distinct values longer than this are cut: they become state keys. */
const MAX_FIELD_LENGTH = 256;

function typeMatches(type: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('.*') ? type.startsWith(p.slice(0, -1)) : type === p));
}

export function matchesEvent(event: SecurityEvent, matcher: EventMatcher): boolean {
  if (!typeMatches(event.type, matcher.types)) return false;
  if (matcher.outcomes && !matcher.outcomes.includes(event.outcome)) return false;
  if (matcher.details) {
    for (const [name, expected] of Object.entries(matcher.details)) {
      if (event.details[name] !== expected) return false;
    }
  }
  return true;
}

/** The field's string value, or null when absent / not a string / `anonymous` actor. */
export function fieldOf(event: SecurityEvent, field: EventField): string | null {
  let value: unknown;
  if (field === 'actor') value = event.actor === 'anonymous' ? null : event.actor;
  else if (field === 'target') value = event.target;
  else if (field === 'ip') value = event.ip;
  else value = event.details[field.slice('details.'.length)];
  if (typeof value !== 'string' || value === '') return null;
  return value.slice(0, MAX_FIELD_LENGTH);
}

export function summarise(event: SecurityEvent): EventSummary {
  return {
    type: event.type, time: event.time, actor: event.actor, target: event.target,
    outcome: event.outcome, ip: event.ip, requestId: event.requestId,
  };
}
