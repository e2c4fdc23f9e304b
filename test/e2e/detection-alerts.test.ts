/**
 * Alert admin API (SPEC §7 `GET /v1/admin/alerts`, `POST /v1/admin/alerts/{id}/ack`): each route
 * checks its one named permission, validates its input with stable 4xx codes, lists newest first
 * with filters and a cursor, and acknowledging is atomic, idempotent and audited.
 */
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Principal, Role } from '../../src/lib/auth/index.js';
import { createManualClock } from '../../src/lib/clock/index.js';
import type { SecurityEvent } from '../../src/lib/events/index.js';
import type { Alert } from '../../src/modules/detection/index.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
let platform: TestPlatform;
const events: SecurityEvent[] = [];

/** `x-test-role` picks the role; `x-test-user` the user id; `x-test-stale: 1` makes the MFA 10 minutes old. */
async function authenticate(request: FastifyRequest): Promise<Principal | null> {
  const role = request.headers['x-test-role'];
  if (typeof role !== 'string') return null;
  const user = typeof request.headers['x-test-user'] === 'string' ? request.headers['x-test-user'] : `${role}-1`;
  const age = request.headers['x-test-stale'] === '1' ? 600_000 : 0;
  return { kind: 'user', userId: user, roles: [role as Role], amr: ['pwd', 'otp'], authTime: clock.now() - age };
}

beforeAll(async () => {
  platform = await startTestPlatform({}, { clock, authenticate });
  platform.events.subscribe('test', (e) => { events.push(e); });
});
afterAll(async () => platform.stop());

const as = (role: string | null, method: 'GET' | 'POST', url: string, user?: string) => platform.app.inject({
  method, url, headers: { ...(role ? { 'x-test-role': role } : {}), ...(user ? { 'x-test-user': user } : {}) },
});

/** Raises one token-reuse alert per user through the bus (the attack suite drives HTTP). */
async function raise(users: string[]): Promise<void> {
  for (const user of users) {
    platform.events.emit({ type: 'auth.refresh.reused', actor: user, target: 'sid', outcome: 'denied', ip: '192.0.2.5' });
    clock.advance(1);
  }
  await platform.events.drain();
}

describe('guards', () => {
  it('need authentication and the named permission', async () => {
    expect((await as(null, 'GET', '/v1/admin/alerts')).json().code).toBe('UNAUTHENTICATED');
    expect((await as('trader', 'GET', '/v1/admin/alerts')).json().code).toBe('FORBIDDEN');
    // compliance may read alerts but not acknowledge them (alerts:read without alerts:ack).
    expect((await as('compliance', 'GET', '/v1/admin/alerts')).statusCode).toBe(200);
    const id = '8a3b8f0e-4c59-4f8e-9d4c-2a6f3b1e7c10';
    expect((await as('compliance', 'POST', `/v1/admin/alerts/${id}/ack`)).json().code).toBe('FORBIDDEN');
    expect((await as(null, 'POST', `/v1/admin/alerts/${id}/ack`)).json().code).toBe('UNAUTHENTICATED');
  });

  it('acknowledging needs a recent second factor: a 10-minute-old MFA is refused and the alert stays open', async () => {
    await raise(['stale-admin']);
    const list = (await as('admin', 'GET', '/v1/admin/alerts?status=open&limit=200')).json() as { alerts: Alert[] };
    const alert = list.alerts.find((a) => a.groupKey === 'stale-admin')!;
    const res = await platform.app.inject({ method: 'POST', url: `/v1/admin/alerts/${alert.id}/ack`, headers: { 'x-test-role': 'admin', 'x-test-stale': '1' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('AUTH_STEP_UP_REQUIRED');
    const open = (await as('admin', 'GET', '/v1/admin/alerts?status=open&limit=200')).json() as { alerts: Alert[] };
    expect(open.alerts.map((a) => a.id)).toContain(alert.id);
  });
});

describe('validation', () => {
  it.each([
    '/v1/admin/alerts?limit=0', '/v1/admin/alerts?limit=201', '/v1/admin/alerts?status=closed',
    '/v1/admin/alerts?severity=urgent', '/v1/admin/alerts?cursor=not-a-uuid', '/v1/admin/alerts?extra=1',
  ])('refuses %s with 400 VALIDATION_FAILED', async (url) => {
    const res = await as('admin', 'GET', url);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
  });

  it('refuses a malformed id with 400 and an unknown one with 404 ALERT_NOT_FOUND', async () => {
    expect((await as('admin', 'POST', '/v1/admin/alerts/x%27%20OR%201=1/ack')).json().code).toBe('VALIDATION_FAILED');
    const res = await as('admin', 'POST', '/v1/admin/alerts/8a3b8f0e-4c59-4f8e-9d4c-2a6f3b1e7c10/ack');
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('ALERT_NOT_FOUND');
    expect((await as('admin', 'GET', '/v1/admin/alerts?cursor=8a3b8f0e-4c59-4f8e-9d4c-2a6f3b1e7c10')).json().code).toBe('ALERT_NOT_FOUND');
  });
});

describe('listing and acknowledging', () => {
  it('lists newest first, pages with a cursor, and filters by status and severity', async () => {
    await raise(['page-a', 'page-b', 'page-c']);
    const first = (await as('admin', 'GET', '/v1/admin/alerts?limit=2')).json() as { alerts: Alert[]; nextCursor: string | null };
    expect(first.alerts.map((a) => a.groupKey)).toEqual(['page-c', 'page-b']);
    expect(first.alerts[0]).toMatchObject({ ruleId: 'token-reuse', ruleVersion: 1, severity: 'critical', ackedAt: null, ackedBy: null });
    const second = (await as('admin', 'GET', `/v1/admin/alerts?limit=2&cursor=${first.nextCursor}`)).json() as { alerts: Alert[] };
    expect(second.alerts[0]!.groupKey).toBe('page-a');
    expect((await as('admin', 'GET', '/v1/admin/alerts?severity=low')).json().alerts).toEqual([]);
  });

  it('acknowledges once: the first admin is recorded, a repeat changes nothing, one alert.acked event', async () => {
    await raise(['ack-me']);
    const list = (await as('admin', 'GET', '/v1/admin/alerts?status=open&limit=200')).json() as { alerts: Alert[] };
    const alert = list.alerts.find((a) => a.groupKey === 'ack-me')!;
    const [a, b] = await Promise.all([
      as('admin', 'POST', `/v1/admin/alerts/${alert.id}/ack`, 'admin-a'),
      as('admin', 'POST', `/v1/admin/alerts/${alert.id}/ack`, 'admin-b'),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(a.json().ackedBy).toBe(b.json().ackedBy);
    expect(a.json().ackedAt).toBe(clock.now());
    await platform.events.drain();
    expect(events.filter((e) => e.type === 'alert.acked' && e.target === alert.id)).toHaveLength(1);
    const open = (await as('admin', 'GET', '/v1/admin/alerts?status=open&limit=200')).json() as { alerts: Alert[] };
    expect(open.alerts.map((x) => x.id)).not.toContain(alert.id);
    const acked = (await as('admin', 'GET', '/v1/admin/alerts?status=acked&limit=200')).json() as { alerts: Alert[] };
    expect(acked.alerts.map((x) => x.id)).toContain(alert.id);
  });

  it('every raised alert is an alert.raised security event naming rule, version and severity', async () => {
    await raise(['evented']);
    const event = events.find((e) => e.type === 'alert.raised' && e.details.groupKey === 'evented');
    expect(event).toMatchObject({ actor: 'system', outcome: 'info', details: { ruleId: 'token-reuse', ruleVersion: 1, severity: 'critical' } });
  });
});
