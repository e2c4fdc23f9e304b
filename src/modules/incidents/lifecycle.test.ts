import { describe, expect, it } from 'vitest';

import { acceptsActions, checkTransition, INCIDENT_STATUSES, statusAfterAction, TRANSITIONS, type IncidentStatus } from './lifecycle.js';

const LEGAL: readonly [IncidentStatus, IncidentStatus][] = [
  ['detected', 'contained'], ['detected', 'investigating'], ['detected', 'closed'],
  ['contained', 'investigating'], ['contained', 'recovered'],
  ['investigating', 'contained'], ['investigating', 'recovered'],
  ['recovered', 'investigating'], ['recovered', 'closed'],
];
const key = (from: string, to: string) => `${from}->${to}`;
const legal = new Set(LEGAL.map(([from, to]) => key(from, to)));
const ALL = INCIDENT_STATUSES.flatMap((from) => INCIDENT_STATUSES.map((to) => [from, to] as const));

describe('incident lifecycle', () => {
  it('declares exactly the documented transitions', () => {
    const declared = Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => key(from, to)));
    expect(new Set(declared)).toEqual(legal);
  });

  it.each(LEGAL)('allows %s → %s', (from, to) => {
    expect(checkTransition(from, to, 'we learned to rotate keys faster')).toEqual({ ok: true });
  });

  it.each(ALL.filter(([from, to]) => !legal.has(key(from, to))))('refuses %s → %s with INCIDENT_TRANSITION_INVALID', (from, to) => {
    const verdict = checkTransition(from, to, 'lessons');
    expect(verdict).toMatchObject({ ok: false, code: 'INCIDENT_TRANSITION_INVALID' });
  });

  it.each([undefined, '', '   \n'])('refuses closing without lessons learned (%j)', (lessons) => {
    expect(checkTransition('recovered', 'closed', lessons)).toMatchObject({ ok: false, code: 'INCIDENT_LESSONS_REQUIRED' });
    expect(checkTransition('detected', 'closed', lessons)).toMatchObject({ ok: false, code: 'INCIDENT_LESSONS_REQUIRED' });
  });

  it('does not ask for lessons learned on other transitions', () => {
    expect(checkTransition('detected', 'contained', undefined)).toEqual({ ok: true });
  });

  it('treats closed as final and a repeat of the same status as illegal', () => {
    for (const to of INCIDENT_STATUSES) expect(checkTransition('closed', to, 'x').ok).toBe(false);
    for (const s of INCIDENT_STATUSES) expect(checkTransition(s, s, 'x').ok).toBe(false);
  });

  it('moves only a detected incident to contained on a containment action, and refuses actions once closed', () => {
    expect(statusAfterAction('detected')).toBe('contained');
    for (const s of ['contained', 'investigating', 'recovered'] as const) expect(statusAfterAction(s)).toBe(s);
    expect(INCIDENT_STATUSES.filter(acceptsActions)).toEqual(['detected', 'contained', 'investigating', 'recovered']);
  });
});
