/** The incident record and its steps, as the service and the routes see them. */
import type { Severity } from '../detection/index.js';
import type { IncidentStatus } from './lifecycle.js';

export interface Incident {
  id: string;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  /** A user id, or `system` when an alert opened it. */
  openedBy: string;
  /** The alert that opened it first, then every alert that joined it (oldest first). */
  sourceAlertIds: string[];
  /** Earliest evidence event of the opening alert (else the opening time). */
  detectedAt: number;
  openedAt: number;
  containedAt: number | null;
  recoveredAt: number | null;
  closedAt: number | null;
  lessonsLearned: string | null;
  updatedAt: number;
}

export type StepKind = 'opened' | 'alert' | 'transition' | 'action';
export type StepResult = 'success' | 'failure' | 'skipped' | 'info';

/** One timestamped step: who did what to which target, and how it ended. */
export interface IncidentStep {
  id: string;
  incidentId: string;
  at: number;
  actor: string;
  kind: StepKind;
  /** A transition (`detected->contained`), an action name, or `opened` / `alert-joined`. */
  what: string;
  target: string | null;
  result: StepResult;
  details: Record<string, unknown>;
}

/** Who acts and from where: the request's, or `system` for automatic steps. */
export interface ActorContext {
  actor: string;
  ip: string | null;
  requestId: string | null;
}
