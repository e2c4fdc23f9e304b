/**
 * Incident admin API (SPEC §7, docs/incidents.md): guards (authentication, `incidents:read` /
 * `incidents:write`, step-up), validation with stable codes, the lifecycle over HTTP with
 * compare-and-set under concurrency, auto-opening from alerts with deduplication and the
 * recorded automatic containment, the forensic timeline from the audit log, every step audited,
 * KPIs, vulnerability records and the Prometheus series.
 */
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Principal, Role } from '../../src/lib/auth/index.js';
import { createManualClock } from '../../src/lib/clock/index.js';
import { databaseBackends, type ThrowawayDatabase } from '../support/backends.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

type Body = ReturnType<typeof JSON.parse>;
const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
let platform: TestPlatform;

/** `x-test-role` picks the role; `x-test-user` the user id; `x-test-stale: 1` makes the MFA 10 minutes old. */
async function authenticate(request: FastifyRequest): Promise<Principal | null> {
  const role = request.headers['x-test-role'];
  if (typeof role !== 'string') return null;
  const user = typeof request.headers['x-test-user'] === 'string' ? request.headers['x-test-user'] : `${role}-1`;
  const age = request.headers['x-test-stale'] === '1' ? 600_000 : 0;
  return { kind: 'user', userId: user, roles: [role as Role], amr: ['pwd', 'otp'], authTime: clock.now() - age };
}


async function call(method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = { 'x-test-role': 'security' }): Promise<{ status: number; body: Body }> {
  const res = await platform.app.inject({
    method, url, headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return { status: res.statusCode, body: res.body ? res.json() : null };
}

async function open(title = 'Suspicious activity', severity = 'high', alertIds?: string[]): Promise<Body> {
  const res = await call('POST', '/v1/admin/incidents', { title, severity, ...(alertIds ? { alertIds } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const transition = (id: string, to: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) =>
  call('POST', `/v1/admin/incidents/${id}/transition`, { to, ...extra }, headers);

/** Raises one token-reuse alert (critical) for `user` through the bus, as identity would. */
async function tokenReuse(user: string, ip = '192.0.2.5'): Promise<void> {
  platform.events.emit({ type: 'auth.refresh.reused', actor: user, target: 'sid', outcome: 'denied', ip });
  await platform.events.drain();
}

const incidentsOf = async (query = '') => (await call('GET', `/v1/admin/incidents?limit=200${query}`)).body.incidents as Body[];
const UNKNOWN = '8a3b8f0e-4c59-4f8e-9d4c-2a6f3b1e7c10';

const backends = await databaseBackends();

// In-process state on both databases: the storm tests move detection's dedup window with the
// manual clock (Redis TTLs run on real time); the replicas suite covers PostgreSQL + Redis.
describe.each(backends)('incident API on $name', (backend) => {
  let database: ThrowawayDatabase;
  beforeAll(async () => {
    database = await backend.provision();
    platform = await startTestPlatform({ Q2_DATABASE_URL: database.url }, { clock, authenticate });
  });
  afterAll(async () => {
    await platform?.stop();
    await database?.drop();
  });

  describe('guards', () => {
    it('need authentication, then incidents:read to read and incidents:write to respond', async () => {
      const incident = await open();
      const reads = ['/v1/admin/incidents', `/v1/admin/incidents/${incident.id}`, `/v1/admin/incidents/${incident.id}/timeline`, '/v1/admin/kpis', '/v1/admin/vulnerabilities'];
      for (const url of reads) {
        expect((await call('GET', url, undefined, {})).body.code, url).toBe('UNAUTHENTICATED');
        expect((await call('GET', url, undefined, { 'x-test-role': 'trader' })).body.code, url).toBe('FORBIDDEN');
        expect((await call('GET', url, undefined, { 'x-test-role': 'compliance' })).status, url).toBe(200);
      }
      const writes: [string, unknown][] = [
        ['/v1/admin/incidents', { title: 't', severity: 'low' }],
        [`/v1/admin/incidents/${incident.id}/actions`, { action: 'revoke-sessions', target: 'user-1' }],
        [`/v1/admin/incidents/${incident.id}/transition`, { to: 'investigating' }],
        ['/v1/admin/vulnerabilities', { id: 'CVE-2026-0001', severity: 'low', foundAt: '2026-12-01T00:00:00Z' }],
      ];
      for (const [url, body] of writes) {
        expect((await call('POST', url, body, {})).body.code, url).toBe('UNAUTHENTICATED');
        // compliance reads incidents but does not respond to them.
        expect((await call('POST', url, body, { 'x-test-role': 'compliance' })).body.code, url).toBe('FORBIDDEN');
      }
      expect((await call('GET', `/v1/admin/incidents/${incident.id}`)).body.incident.status).toBe('detected');
    });

    it('refuse containment actions and transitions without a recent second factor, changing nothing', async () => {
      const incident = await open();
      const stale = { 'x-test-role': 'security', 'x-test-stale': '1' };
      const action = await call('POST', `/v1/admin/incidents/${incident.id}/actions`, { action: 'block-ip', target: '203.0.113.0/24' }, stale);
      expect([action.status, action.body.code]).toEqual([403, 'AUTH_STEP_UP_REQUIRED']);
      const moved = await transition(incident.id, 'investigating', {}, stale);
      expect([moved.status, moved.body.code]).toEqual([403, 'AUTH_STEP_UP_REQUIRED']);
      const after = (await call('GET', `/v1/admin/incidents/${incident.id}`)).body;
      expect(after.incident.status).toBe('detected');
      expect(after.steps.map((s: Body) => s.kind)).toEqual(['opened']);
    });
  });

  describe('validation', () => {
    it.each([
      ['an unknown field', { title: 't', severity: 'high', owner: 'x' }],
      ['an unknown severity', { title: 't', severity: 'urgent' }],
      ['an empty title', { title: '', severity: 'high' }],
      ['a malformed alert id', { title: 't', severity: 'high', alertIds: ["x' OR 1=1"] }],
    ])('refuses opening with %s: 400 VALIDATION_FAILED', async (_name, body) => {
      const res = await call('POST', '/v1/admin/incidents', body);
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('refuses an unknown alert id with 404 ALERT_NOT_FOUND, opening nothing', async () => {
      const before = (await incidentsOf()).length;
      const res = await call('POST', '/v1/admin/incidents', { title: 't', severity: 'high', alertIds: [UNKNOWN] });
      expect([res.status, res.body.code]).toEqual([404, 'ALERT_NOT_FOUND']);
      expect(await incidentsOf()).toHaveLength(before);
    });

    it.each([
      ['lock-account', 'not a user!', '/target'],
      ['block-ip', '203.0.113.7/24', '/target'],
      ['block-ip', 'evil.example', '/target'],
      ['kill-switch', 'everyone', '/target'],
      ['kill-switch', 'symbol:btc', '/target'],
      ['revoke-sessions', 'user-1', '/ttlSeconds'],
    ])('refuses %s on %j with VALIDATION_FAILED naming %s, recording nothing', async (action, target, path) => {
      const incident = await open();
      const res = await call('POST', `/v1/admin/incidents/${incident.id}/actions`, { action, target, ...(path === '/ttlSeconds' ? { ttlSeconds: 600 } : {}) });
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(res.body.detail).toContain(path.slice(1));
      expect((await call('GET', `/v1/admin/incidents/${incident.id}`)).body.steps).toHaveLength(1);
    });

    it('refuses an unknown action, an unknown target user (404) and a block of the responder\'s own address (409)', async () => {
      const incident = await open();
      const url = `/v1/admin/incidents/${incident.id}/actions`;
      expect((await call('POST', url, { action: 'nuke', target: 'x' })).body.code).toBe('VALIDATION_FAILED');
      expect((await call('POST', url, { action: 'lock-account', target: 'no-such-user' })).body.code).toBe('NOT_FOUND');
      const self = await call('POST', url, { action: 'block-ip', target: '127.0.0.0/8' });
      expect([self.status, self.body.code]).toEqual([409, 'IP_RULE_SELF_BLOCK']);
      expect((await call('GET', `/v1/admin/incidents/${incident.id}`)).body.incident.status).toBe('detected');
    });

    it('answers a malformed id with 400 and an unknown one with 404 INCIDENT_NOT_FOUND', async () => {
      expect((await call('GET', '/v1/admin/incidents/nope')).body.code).toBe('VALIDATION_FAILED');
      for (const [method, url, body] of [
        ['GET', `/v1/admin/incidents/${UNKNOWN}`, undefined], ['GET', `/v1/admin/incidents/${UNKNOWN}/timeline`, undefined],
        ['POST', `/v1/admin/incidents/${UNKNOWN}/transition`, { to: 'investigating' }], ['GET', `/v1/admin/incidents?cursor=${UNKNOWN}`, undefined],
      ] as const) {
        const res = await call(method, url, body);
        expect([res.status, res.body.code], url).toEqual([404, 'INCIDENT_NOT_FOUND']);
      }
      expect((await call('GET', '/v1/admin/incidents?status=open')).body.code).toBe('VALIDATION_FAILED');
      expect((await call('GET', '/v1/admin/incidents?limit=201')).body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('lifecycle over HTTP', () => {
    it('walks detected → investigating → contained → recovered → closed, stamping each phase', async () => {
      const incident = await open('Full walk');
      expect((await transition(incident.id, 'investigating', { note: 'looking at logs' })).body.status).toBe('investigating');
      clock.advance(60_000);
      const contained = (await transition(incident.id, 'contained')).body;
      expect(contained).toMatchObject({ status: 'contained', containedAt: clock.now() });
      clock.advance(60_000);
      expect((await transition(incident.id, 'recovered')).body).toMatchObject({ status: 'recovered', recoveredAt: clock.now() });
      const refused = await transition(incident.id, 'closed');
      expect([refused.status, refused.body.code]).toEqual([422, 'INCIDENT_LESSONS_REQUIRED']);
      const closed = (await transition(incident.id, 'closed', { lessonsLearned: 'Alert earlier on token reuse.' })).body;
      expect(closed).toMatchObject({ status: 'closed', closedAt: clock.now(), lessonsLearned: 'Alert earlier on token reuse.', containedAt: contained.containedAt });
      const steps = (await call('GET', `/v1/admin/incidents/${incident.id}`)).body.steps as Body[];
      expect(steps.map((s) => s.what)).toEqual(['opened', 'detected->investigating', 'investigating->contained', 'contained->recovered', 'recovered->closed']);
      expect(steps[1]).toMatchObject({ actor: 'security-1', details: { note: 'looking at logs' } });
    });

    it('refuses illegal transitions with 409 INCIDENT_TRANSITION_INVALID, and actions on a closed incident with 409 INCIDENT_CLOSED', async () => {
      const incident = await open();
      const skip = await transition(incident.id, 'recovered');
      expect([skip.status, skip.body.code, skip.body.from, skip.body.to]).toEqual([409, 'INCIDENT_TRANSITION_INVALID', 'detected', 'recovered']);
      expect((await transition(incident.id, 'detected')).body.code).toBe('INCIDENT_TRANSITION_INVALID');
      expect((await transition(incident.id, 'closed', { lessonsLearned: 'False positive: a load test.' })).body.status).toBe('closed');
      expect((await transition(incident.id, 'investigating')).body.code).toBe('INCIDENT_TRANSITION_INVALID');
      const act = await call('POST', `/v1/admin/incidents/${incident.id}/actions`, { action: 'block-ip', target: '203.0.113.0/24' });
      expect([act.status, act.body.code]).toEqual([409, 'INCIDENT_CLOSED']);
    });

    it('lets exactly one of two concurrent, mutually exclusive transitions win; the other gets 409', async () => {
      const incident = await open();
      // Whichever lands first, the other is no longer possible (closed is final; investigating cannot close).
      const results = await Promise.all([
        transition(incident.id, 'investigating', {}, { 'x-test-role': 'security', 'x-test-user': 'responder-a' }),
        transition(incident.id, 'closed', { lessonsLearned: 'False positive.' }, { 'x-test-role': 'admin', 'x-test-user': 'responder-b' }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(['INCIDENT_STATUS_CONFLICT', 'INCIDENT_TRANSITION_INVALID']).toContain(results.find((r) => r.status === 409)!.body.code);
      const steps = (await call('GET', `/v1/admin/incidents/${incident.id}`)).body.steps as Body[];
      expect(steps.filter((s) => s.kind === 'transition')).toHaveLength(1);
    });

    it('lists newest first, filters by status and pages with a cursor', async () => {
      clock.advance(1); // after every incident of earlier tests
      const a = await open('page a');
      clock.advance(1);
      const b = await open('page b');
      clock.advance(1);
      const c = await open('page c');
      await transition(b.id, 'investigating');
      const first = (await call('GET', '/v1/admin/incidents?limit=2')).body;
      expect(first.incidents.map((i: Body) => i.id)).toEqual([c.id, b.id]);
      const second = (await call('GET', `/v1/admin/incidents?limit=2&cursor=${first.nextCursor}`)).body;
      expect(second.incidents[0].id).toBe(a.id);
      const investigating = await incidentsOf('&status=investigating');
      expect(investigating.map((i) => i.id)).toContain(b.id);
      expect(investigating.every((i) => i.status === 'investigating')).toBe(true);
    });

    it('records every step as an audited security event', async () => {
      const incident = await open('Audited');
      await transition(incident.id, 'investigating', { note: 'n' });
      await platform.events.drain();
      const audit = await call('GET', '/v1/admin/audit?action=incident.transition&limit=1000', undefined, { 'x-test-role': 'admin' });
      expect(audit.status).toBe(200);
      expect(audit.body.entries).toContainEqual(expect.objectContaining({ action: 'incident.transition', actor: 'security-1', target: incident.id, outcome: 'success' }));
      const opened = await call('GET', '/v1/admin/audit?action=incident.opened&limit=1000', undefined, { 'x-test-role': 'admin' });
      expect(opened.body.entries.map((e: Body) => e.target)).toContain(incident.id);
    });
  });

  describe('opened from alerts', () => {
    it('a critical token-reuse alert opens one incident dated at its evidence; its storm joins it; a closed incident frees the pair', async () => {
      const evidenceAt = clock.now();
      clock.advance(5_000); // detection and opening happen after the event
      platform.events.emit({ type: 'auth.refresh.reused', actor: 'storm-user', target: 'sid', outcome: 'denied', ip: '192.0.2.5', time: evidenceAt });
      await platform.events.drain();
      const mine = () => incidentsOf().then((all) => all.filter((i) => i.openedBy === 'system' && i.title === 'Refresh token reused'));
      const [incident] = await mine();
      expect(incident).toMatchObject({ severity: 'critical', status: 'detected', detectedAt: evidenceAt, openedAt: clock.now() });
      // Past detection's dedup window, the same (rule, group) raises again: it joins.
      clock.advance(11 * 60_000);
      await tokenReuse('storm-user');
      const joined = await mine();
      expect(joined).toHaveLength(1);
      expect(joined[0]!.sourceAlertIds).toHaveLength(2);
      // Automatic containment on a user that does not exist is recorded as failed, not thrown.
      const steps = (await call('GET', `/v1/admin/incidents/${incident.id}`)).body.steps as Body[];
      expect(steps.filter((s) => s.what === 'revoke-sessions').map((s) => [s.actor, s.result, s.details.error])).toEqual([['system', 'failure', 'NOT_FOUND'], ['system', 'failure', 'NOT_FOUND']]);
      await transition(incident.id, 'closed', { lessonsLearned: 'Test account.' });
      clock.advance(11 * 60_000);
      await tokenReuse('storm-user');
      expect(await mine()).toHaveLength(2);
    });

    it('a different group opens its own incident; an alert below the threshold opens none', async () => {
      const before = (await incidentsOf()).length;
      await tokenReuse('other-user');
      expect((await incidentsOf()).length).toBe(before + 1);
      // signature-failure-burst is `medium`, below the default `high`.
      for (let i = 0; i < 10; i++) platform.events.emit({ type: 'signature.invalid', actor: 'anonymous', outcome: 'denied', ip: '192.0.2.77' });
      await platform.events.drain();
      const alerts = await call('GET', '/v1/admin/alerts?limit=200', undefined, { 'x-test-role': 'admin' });
      expect(alerts.body.alerts.map((a: Body) => a.groupKey)).toContain('192.0.2.77');
      expect((await incidentsOf()).length).toBe(before + 1);
    });

    it('dates a hand-opened incident at the earliest evidence of the alerts it names, and later alerts of the pair join it', async () => {
      // A medium alert (below the auto-open threshold): only the responder opens an incident for it.
      const ip = '192.0.2.88';
      const burst = async () => {
        for (let i = 0; i < 10; i++) platform.events.emit({ type: 'signature.invalid', actor: 'anonymous', outcome: 'denied', ip });
        await platform.events.drain();
      };
      const start = clock.now();
      await burst();
      const alerts = (await call('GET', '/v1/admin/alerts?limit=200', undefined, { 'x-test-role': 'admin' })).body.alerts as Body[];
      const alert = alerts.find((a) => a.groupKey === ip)!;
      clock.advance(30_000);
      const incident = await open('Signature burst under review', 'medium', [alert.id]);
      expect(incident).toMatchObject({ detectedAt: start, openedAt: start + 30_000, openedBy: 'security-1', sourceAlertIds: [alert.id] });
      // It holds the alert's (rule, group): the next alert of the pair joins it.
      clock.advance(2 * 60_000);
      await burst();
      const after = (await call('GET', `/v1/admin/incidents/${incident.id}`)).body.incident;
      expect(after.sourceAlertIds).toHaveLength(2);
    });
  });

  describe('forensic timeline', () => {
    it('merges the audit entries of the subjects over the window with the incident steps, in time order', async () => {
      const user = 'timeline-user';
      const ip = '192.0.2.99';
      platform.events.emit({ type: 'auth.login', actor: user, target: user, outcome: 'success', ip });
      clock.advance(1_000);
      platform.events.emit({ type: 'auth.login', actor: 'bystander', target: 'bystander', outcome: 'success', ip: '192.0.2.100' });
      platform.events.emit({ type: 'order.placed', actor: 'anonymous', target: 'x', outcome: 'success', ip });
      clock.advance(1_000);
      await tokenReuse(user, ip);
      const incident = (await incidentsOf()).find((i) => i.title === 'Refresh token reused' && i.status === 'detected' && i.detectedAt === clock.now())!;
      clock.advance(1_000);
      await transition(incident.id, 'investigating');
      const timeline = (await call('GET', `/v1/admin/incidents/${incident.id}/timeline`)).body;
      const entries = timeline.entries as Body[];
      expect(entries.map((e) => e.time)).toEqual([...entries.map((e) => e.time)].sort((a, b) => a - b));
      const audited = entries.filter((e) => e.source === 'audit').map((e) => e.action);
      expect(audited).toEqual(expect.arrayContaining(['auth.login', 'order.placed', 'auth.refresh.reused', 'alert.raised']));
      expect(entries.some((e) => e.actor === 'bystander')).toBe(false);
      expect(entries.filter((e) => e.source === 'incident').map((e) => e.action)).toEqual(expect.arrayContaining(['incident.opened:opened', 'incident.transition:detected->investigating']));
      // Addresses are searched and shown as the audit log stores them: pseudonyms.
      expect(entries.find((e) => e.action === 'order.placed')!.ip).toMatch(/^ps:ip:/);
      expect(timeline.truncated).toBe(false);
    });
  });

  describe('KPIs, vulnerabilities and metrics', () => {
    it('records vulnerabilities (audited), updates them by id, and refuses inconsistent dates', async () => {
      const created = await call('POST', '/v1/admin/vulnerabilities', { id: 'CVE-2026-1111', severity: 'high', foundAt: '2026-11-01T00:00:00Z' });
      expect([created.status, created.body.remediatedAt]).toEqual([201, null]);
      const updated = await call('POST', '/v1/admin/vulnerabilities', { id: 'CVE-2026-1111', severity: 'high', foundAt: '2026-11-01T00:00:00Z', remediatedAt: '2026-11-03T00:00:00Z' });
      expect([updated.status, updated.body.remediatedAt]).toEqual([200, '2026-11-03T00:00:00.000Z']);
      const backwards = await call('POST', '/v1/admin/vulnerabilities', { id: 'CVE-2026-2222', severity: 'low', foundAt: '2026-11-05T00:00:00Z', remediatedAt: '2026-11-01T00:00:00Z' });
      expect([backwards.status, backwards.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect((await call('POST', '/v1/admin/vulnerabilities', { id: 'x', severity: 'low', foundAt: 'yesterday' })).body.code).toBe('VALIDATION_FAILED');
      const list = (await call('GET', '/v1/admin/vulnerabilities')).body.vulnerabilities as Body[];
      expect(list.map((v) => v.id)).toEqual(['CVE-2026-1111']);
      await platform.events.drain();
      const audit = await call('GET', '/v1/admin/audit?action=vulnerability.recorded', undefined, { 'x-test-role': 'admin' });
      expect(audit.body.entries).toHaveLength(2);
    });

    it('reports authentication rates, containment times against the 15-minute target and remediation medians', async () => {
      const from = clock.now();
      for (const outcome of ['success', 'success', 'success', 'failure'] as const) platform.events.emit({ type: 'auth.login', actor: 'kpi', target: 'kpi', outcome, ip: '192.0.2.1' });
      const fast = await open('fast');
      clock.advance(5 * 60_000);
      await transition(fast.id, 'contained');
      const slow = await open('slow');
      clock.advance(20 * 60_000);
      await transition(slow.id, 'contained');
      await open('never contained');
      clock.advance(16 * 60_000);
      await platform.events.drain();
      const kpis = (await call('GET', `/v1/admin/kpis?from=${new Date(from).toISOString()}`)).body;
      expect(kpis.authentication).toEqual({ attempts: 4, succeeded: 3, failed: 1, successRate: 0.75, failedShare: 0.25 });
      expect(kpis.incidents.opened).toBe(3);
      expect(kpis.incidents.contain).toEqual({ count: 2, medianSeconds: 300, p90Seconds: 1200, targetSeconds: 900, overTarget: 1, uncontainedOverTarget: 1 });
      expect(kpis.vulnerabilities.high).toEqual({ open: 0, remediated: 1, medianRemediationSeconds: 2 * 86_400 });
      expect((await call('GET', '/v1/admin/kpis?from=2026-12-05T00:00:00Z&to=2026-12-04T00:00:00Z')).body.code).toBe('VALIDATION_FAILED');
    });

    it('exports q2_incident_response_seconds by phase and q2_incidents_open', async () => {
      const res = await platform.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      for (const phase of ['detect', 'contain', 'close']) {
        const line = res.body.split('\n').find((l) => l.startsWith(`q2_incident_response_seconds_count{phase="${phase}"} `));
        expect(Number(line?.split(' ')[1]), phase).toBeGreaterThan(0);
      }
      const open = (await incidentsOf()).filter((i) => i.status !== 'closed').length;
      expect(res.body).toContain(`q2_incidents_open ${open}\n`);
    });
  });
});
