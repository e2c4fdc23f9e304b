import { describe, expect, it } from 'vitest';

import { CONTAINMENT_TARGET_MS, incidentKpis, percentile, remediationKpis } from './kpis.js';
import type { Incident } from './types.js';
import type { Vulnerability } from './vulnerabilities.js';

const MIN = 60_000;
const incident = (detectedAt: number, patch: Partial<Incident> = {}): Incident => ({
  id: 'i', title: 't', severity: 'high', status: 'detected', openedBy: 'system', sourceAlertIds: [], detectedAt, openedAt: detectedAt + MIN,
  containedAt: null, recoveredAt: null, closedAt: null, lessonsLearned: null, updatedAt: detectedAt, ...patch,
});

describe('percentile (nearest rank)', () => {
  it('picks ranks, not interpolations, and is null for no data', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100)).toBe(10);
  });
});

describe('incident KPIs', () => {
  it('measures from detection and counts containments over the 15-minute target, contained or not', () => {
    const now = 100 * MIN;
    const kpis = incidentKpis([
      incident(0, { containedAt: 5 * MIN, closedAt: 60 * MIN }),
      incident(0, { containedAt: CONTAINMENT_TARGET_MS + 1 }),
      incident(0, { containedAt: CONTAINMENT_TARGET_MS }),
      incident(now - 20 * MIN),
      incident(now - 5 * MIN),
    ], now);
    expect(kpis.opened).toBe(5);
    expect(kpis.detect).toEqual({ count: 5, medianSeconds: 60, p90Seconds: 60 });
    expect(kpis.contain).toMatchObject({ count: 3, medianSeconds: 900, targetSeconds: 900, overTarget: 1, uncontainedOverTarget: 1 });
    expect(kpis.close).toEqual({ count: 1, medianSeconds: 3600, p90Seconds: 3600 });
  });
});

describe('remediation KPIs', () => {
  it('gives the median found → remediated time per severity and counts open ones', () => {
    const v = (severity: Vulnerability['severity'], days: number | null): Vulnerability => ({
      id: 'v', severity, title: '', foundAt: 0, remediatedAt: days === null ? null : days * 86_400_000, recordedBy: 'a', updatedAt: 0,
    });
    const kpis = remediationKpis([v('critical', 1), v('critical', 3), v('critical', 2), v('critical', null), v('low', null)]);
    expect(kpis.critical).toEqual({ open: 1, remediated: 3, medianRemediationSeconds: 2 * 86_400 });
    expect(kpis.low).toEqual({ open: 1, remediated: 0, medianRemediationSeconds: null });
    expect(kpis.high).toEqual({ open: 0, remediated: 0, medianRemediationSeconds: null });
  });
});
