/**
 * The incident lifecycle (SPEC §7: `detected → contained → investigating → recovered → closed`,
 * NIST SP 800-61 phases) as a pure table. Callers pass the current status and the wanted one
 * and get a verdict; the store applies an accepted transition with compare-and-set on the
 * status, so of two concurrent transitions exactly one lands.
 *
 * Legal skips, and why:
 * - detected → investigating: nothing to contain (e.g. a single suspicious login under review).
 * - detected → closed: a false positive, closed at once, but still with lessons learned.
 * - contained → recovered: containment plus recovery with nothing left to investigate.
 * - recovered → investigating: the attack recurred or recovery was incomplete (re-opens work).
 * Closed is terminal: a recurrence is a new incident.
 */

export const INCIDENT_STATUSES = ['detected', 'contained', 'investigating', 'recovered', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  detected: ['contained', 'investigating', 'closed'],
  contained: ['investigating', 'recovered'],
  investigating: ['contained', 'recovered'],
  recovered: ['investigating', 'closed'],
  closed: [],
};

export type TransitionVerdict =
  | { ok: true }
  | { ok: false; code: 'INCIDENT_TRANSITION_INVALID' | 'INCIDENT_LESSONS_REQUIRED'; reason: string };

/** Whether `from → to` is allowed; closing needs non-blank lessons learned (SPEC §7). */
export function checkTransition(from: IncidentStatus, to: IncidentStatus, lessonsLearned: string | undefined): TransitionVerdict {
  if (!TRANSITIONS[from].includes(to)) {
    const allowed = TRANSITIONS[from];
    return {
      ok: false, code: 'INCIDENT_TRANSITION_INVALID',
      reason: `An incident that is ${from} cannot become ${to}${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ' (closed is final)'}.`,
    };
  }
  if (to === 'closed' && (lessonsLearned === undefined || lessonsLearned.trim() === '')) {
    return { ok: false, code: 'INCIDENT_LESSONS_REQUIRED', reason: 'Closing an incident requires lessonsLearned.' };
  }
  return { ok: true };
}

/** Containment actions are refused on a closed incident; on others they are recorded. */
export function acceptsActions(status: IncidentStatus): boolean {
  return status !== 'closed';
}

/** The status a successful containment action leaves: only `detected` moves (to `contained`). */
export function statusAfterAction(status: IncidentStatus): IncidentStatus {
  return status === 'detected' ? 'contained' : status;
}
