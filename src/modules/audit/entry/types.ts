/** The audit entry (SPEC §7) and the shapes it takes on its way into the log. */

export type AuditOutcome = 'success' | 'failure' | 'denied' | 'info';
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['success', 'failure', 'denied', 'info'];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a caller (or the event bus) hands to `append`. Personal data may still be in clear here. */
export interface AuditEntryInput {
  /** The security event's `type`, e.g. `auth.login`. */
  action: string;
  actor: string;
  outcome: AuditOutcome;
  /** Unix ms; defaults to the logger's clock. */
  time?: number;
  target?: string | null;
  ip?: string | null;
  requestId?: string | null;
  details?: Readonly<Record<string, unknown>>;
}

/** An entry as stored and served: personal data already pseudonymised. */
export interface AuditEntry {
  /** 0-based, gap-free; equal to the RFC 6962 leaf index. */
  seq: number;
  time: number;
  actor: string;
  action: string;
  target: string | null;
  outcome: AuditOutcome;
  ip: string | null;
  requestId: string | null;
  details: Record<string, JsonValue>;
}

/**
 * An entry ready to be sequenced: bounded, pseudonymised, and with `details` already in
 * canonical JSON text, so the writer and the verifier splice the same bytes.
 */
export interface PreparedEntry {
  time: number;
  actor: string;
  action: string;
  target: string | null;
  outcome: AuditOutcome;
  ip: string | null;
  requestId: string | null;
  details: string;
}
