/**
 * The one place MFA emits security events. Details are chosen from a fixed vocabulary (method,
 * reason, counts): codes, secrets, challenge keys, addresses and phone numbers never appear.
 */
import type { EventOutcome, SecurityEventBus } from '../../lib/events/index.js';
import type { EventContext } from './types.js';

export type MfaEventDetails = Readonly<Record<string, string | number | boolean>>;

export interface MfaEvents {
  emit(type: `mfa.${string}`, outcome: EventOutcome, who: { actor: string; target?: string | null }, ctx?: EventContext, details?: MfaEventDetails): void;
}

export function createMfaEvents(bus: SecurityEventBus): MfaEvents {
  return {
    emit(type, outcome, who, ctx, details = {}) {
      bus.emit({
        type,
        actor: who.actor,
        target: who.target === undefined ? who.actor : who.target,
        outcome,
        ip: ctx?.ip ?? null,
        requestId: ctx?.requestId ?? null,
        details,
      });
    },
  };
}
