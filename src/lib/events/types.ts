/**
 * The security event every capability emits and audit, detection, metrics and SIEM export consume.
 * `type` is dotted and namespaced by capability (`auth.login`, `apikey.created`, `risk.rejected`).
 */
export type EventOutcome = 'success' | 'failure' | 'denied' | 'info';

export interface SecurityEvent {
  type: string;
  /** Unix ms. */
  time: number;
  /** Who acted: a user id, `apikey:<id>`, `system`, or `anonymous`. */
  actor: string;
  /** What was acted on (user id, key id, order id, …), or null. */
  target: string | null;
  outcome: EventOutcome;
  ip: string | null;
  requestId: string | null;
  details: Readonly<Record<string, unknown>>;
}

export type SecurityEventInput = Omit<SecurityEvent, 'time' | 'target' | 'ip' | 'requestId' | 'details'> &
  Partial<Pick<SecurityEvent, 'time' | 'target' | 'ip' | 'requestId' | 'details'>>;

export type EventHandler = (event: SecurityEvent) => void | Promise<void>;

/** Why a subscriber is being reported: it threw, or its backlog passed the high-water mark. */
export interface SubscriberProblem {
  subscriber: string;
  kind: 'failed' | 'backlog';
  event?: SecurityEvent;
  error?: unknown;
  backlog: number;
}
