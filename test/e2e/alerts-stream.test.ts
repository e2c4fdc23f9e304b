/**
 * SPEC §7 `GET /v1/admin/events`: the console's live stream of alerts and incident events over
 * real HTTP connections. Guards (401/403, cookie session), an alert raised by a real rule
 * arriving live, filters, resumption with Last-Event-ID, heartbeats, connection caps, the
 * slow-consumer cut and shutdown ending the streams.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createManualClock } from '../../src/lib/clock/index.js';
import type { AlertDeliveryCapability } from '../../src/modules/detection/index.js';
import { bearer, post, registerAndLogin, uniqueEmail } from '../support/identity.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { browserSession, createPrivileged, WITHOUT_ADAPTIVE_LIMITS, type PrivilegedUser } from './alerts-support.js';
import { openSse, type SseClient } from './alerts-sse-client.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
let platform: TestPlatform;
let admin: PrivilegedUser;
const open: SseClient[] = [];

beforeAll(async () => {
  platform = await startTestPlatform({}, {
    clock, insecureHttp: true,
    capabilities: { ...WITHOUT_ADAPTIVE_LIMITS, delivery: { replayLimit: 50, limits: { heartbeatMs: 40, maxStreamsPerUser: 6, maxBufferedBytes: 64 * 1024 } } },
  });
  await platform.listen();
  admin = await createPrivileged(platform, clock, ['admin']);
});
afterAll(async () => platform.stop());
// Each test starts with no stream open, so the per-user cap never leaks from one test into another.
afterEach(async () => {
  for (const client of open.splice(0)) client.close();
  while (delivery().streams.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
});

const delivery = () => platform.capabilities.find((c) => c.name === 'detection.delivery') as AlertDeliveryCapability;

async function stream(query = '', headers: Record<string, string> = bearer(admin.tokens.accessToken)): Promise<SseClient> {
  const client = await openSse(`${platform.url}/v1/admin/events${query}`, headers);
  open.push(client);
  return client;
}

/** A refresh token replayed after rotation: the real token-reuse rule raises a critical alert. */
async function raiseTokenReuse(): Promise<string> {
  const { userId, tokens } = await registerAndLogin(platform.app, uniqueEmail('victim'));
  expect((await post(platform.app, '/v1/auth/refresh', { refreshToken: tokens.refreshToken })).statusCode).toBe(200);
  expect((await post(platform.app, '/v1/auth/refresh', { refreshToken: tokens.refreshToken })).json().code).toBe('AUTH_REFRESH_REUSED');
  return userId;
}

const isAlertFor = (userId: string) => (m: { event: string; data: unknown }) =>
  m.event === 'alert.raised' && (m.data as { groupKey: string }).groupKey === userId;

describe('guards', () => {
  it('answers 401 without credentials and 403 to a trader, as problem+json, never a stream', async () => {
    const anonymous = await openSse(`${platform.url}/v1/admin/events`);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(await anonymous.body()).code).toBe('UNAUTHENTICATED');
    const { tokens } = await registerAndLogin(platform.app);
    const trader = await openSse(`${platform.url}/v1/admin/events`, bearer(tokens.accessToken));
    expect(trader.status).toBe(403);
    expect(JSON.parse(await trader.body()).code).toBe('FORBIDDEN');
  });

  it('refuses unknown event types with 400 VALIDATION_FAILED', async () => {
    for (const types of ['alert.deleted', 'auth.login', 'incident.*,x', '%0Aevent']) {
      const res = await openSse(`${platform.url}/v1/admin/events?types=${types}`, bearer(admin.tokens.accessToken));
      expect(res.status, types).toBe(400);
      expect(JSON.parse(await res.body()).code).toBe('VALIDATION_FAILED');
    }
  });

  it('caps the streams of one user with 429 EVENT_STREAM_LIMIT', async () => {
    const other = await createPrivileged(platform, clock, ['security']);
    const clients = await Promise.all(Array.from({ length: 6 }, () => stream('', bearer(other.tokens.accessToken))));
    expect(clients.map((c) => c.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const refused = await openSse(`${platform.url}/v1/admin/events`, bearer(other.tokens.accessToken));
    expect(refused.status).toBe(429);
    expect(JSON.parse(await refused.body()).code).toBe('EVENT_STREAM_LIMIT');
    for (const c of clients) c.close();
  });
});

describe('live alerts', () => {
  it('streams an alert raised by a real rule, with the stored alert, security headers and no caching', async () => {
    const client = await stream();
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.headers['cache-control']).toBe('no-store');
    expect(client.headers['x-content-type-options']).toBe('nosniff');
    const userId = await raiseTokenReuse();
    const message = await client.next(isAlertFor(userId));
    expect(message.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(message.data).toMatchObject({ ruleId: 'token-reuse', severity: 'critical', ackedAt: null });
    const stored = (await platform.app.inject({ method: 'GET', url: '/v1/admin/alerts?limit=200', headers: bearer(admin.tokens.accessToken) })).json() as { alerts: { id: string }[] };
    expect(stored.alerts.map((a) => a.id)).toContain((message.data as { id: string }).id);
  });

  it('serves the console\'s cookie session, and its acknowledgement arrives as alert.acked', async () => {
    const { cookie, csrf } = await browserSession(platform, clock, admin);
    const client = await stream('', { cookie });
    expect(client.status).toBe(200);
    const raised = await client.next(isAlertFor(await raiseTokenReuse()));
    const id = (raised.data as { id: string }).id;
    const ack = await platform.app.inject({ method: 'POST', url: `/v1/admin/alerts/${id}/ack`, headers: { cookie, 'x-csrf-token': csrf } });
    expect(ack.statusCode, ack.body).toBe(200);
    const acked = await client.next((m) => m.event === 'alert.acked' && (m.data as { id: string }).id === id);
    expect(acked.data).toMatchObject({ id, ackedBy: admin.userId, ruleId: 'token-reuse' });
  });

  it('passes incident events through and narrows the stream with ?types=', async () => {
    const all = await stream();
    const incidentsOnly = await stream('?types=incident.*');
    const ackedOnly = await stream('?types=alert.acked');
    const userId = await raiseTokenReuse();
    platform.events.emit({ type: 'incident.note_added', actor: admin.userId, target: 'inc-1', outcome: 'success', details: { note: 'n' } });
    await all.next(isAlertFor(userId));
    const incident = await incidentsOnly.next((m) => m.event === 'incident.note_added');
    expect(incident.data).toMatchObject({ type: 'incident.note_added', actor: admin.userId, target: 'inc-1', details: { note: 'n' } });
    await all.next((m) => m.event === 'incident.note_added');
    // Everything reaches every stream in one order: had a filter let the alert through, it would be there by now.
    expect(incidentsOnly.messages.every((m) => m.event.startsWith('incident.'))).toBe(true);
    expect(ackedOnly.messages.filter((m) => m.event !== 'alert.acked')).toEqual([]);
  });

  it('sends heartbeat comments while nothing happens', async () => {
    const client = await stream();
    expect(await client.nextComment((c) => c === 'heartbeat')).toBe('heartbeat');
  });
});

describe('resuming', () => {
  it('replays what a client missed after its Last-Event-ID, in order', async () => {
    const first = await stream('?types=incident.*');
    platform.events.emit({ type: 'incident.opened', actor: 'system', target: 'r-1', outcome: 'info' });
    const seen = await first.next((m) => m.event === 'incident.opened' && (m.data as { target: string }).target === 'r-1');
    first.close();
    const witness = await stream('?types=incident.*');
    platform.events.emit({ type: 'incident.contained', actor: 'system', target: 'r-1', outcome: 'success' });
    platform.events.emit({ type: 'incident.closed', actor: 'system', target: 'r-1', outcome: 'success' });
    await witness.next((m) => m.event === 'incident.closed');
    const resumed = await stream('?types=incident.*', { ...bearer(admin.tokens.accessToken), 'last-event-id': seen.id! });
    const closed = await resumed.next((m) => m.event === 'incident.closed');
    expect(resumed.messages.map((m) => m.event)).toEqual(['incident.contained', 'incident.closed']);
    expect(closed.id).toBe(witness.messages[1]!.id);
  });

  it('tells a client whose Last-Event-ID is unknown or evicted to reload (event reset)', async () => {
    const client = await stream('', { ...bearer(admin.tokens.accessToken), 'last-event-id': 'no-such-id' });
    expect((await client.next((m) => m.event === 'reset')).data).toEqual({ reason: 'replay-unavailable' });
  });
});

describe('slow consumers', () => {
  it('cuts a client that stops reading once its backlog passes the bound, and counts it', async () => {
    const slow = await stream('?types=incident.*');
    const fast = await stream('?types=incident.*');
    slow.stall();
    const padding = 'x'.repeat(16 * 1024);
    // Loopback socket buffers hold several MB; the bound (64 KiB) counts only what queues beyond them.
    for (let i = 0; i < 4_000 && delivery().streams.size === 2; i++) {
      await delivery().hub.publish('incident.noise', { i, padding });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(delivery().streams.size).toBe(1);
    const metrics = (await platform.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/q2_live_stream_ends_total\{reason="slow"\} [1-9]/);
    // The reader that keeps up is not affected.
    await fast.next((m) => m.event === 'incident.noise' && (m.data as { i: number }).i > 0);
    expect(fast.closed).toBe(false);
  });
});

describe('stream lifetime', () => {
  it('ends a stream after its lifetime, so a session revoked meanwhile cannot reconnect', async () => {
    const local = createManualClock(Date.UTC(2026, 11, 4, 12));
    const other = await startTestPlatform({}, { clock: local, insecureHttp: true, capabilities: { delivery: { limits: { maxLifetimeMs: 100 } } } });
    try {
      await other.listen();
      const user = await createPrivileged(other, local, ['security']);
      const client = await openSse(`${other.url}/v1/admin/events`, bearer(user.tokens.accessToken));
      expect(client.status).toBe(200);
      const logout = await other.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(user.tokens.accessToken) });
      expect(logout.statusCode).toBe(204);
      await client.ended;
      const again = await openSse(`${other.url}/v1/admin/events`, bearer(user.tokens.accessToken));
      expect(again.status).toBe(401);
      const metrics = (await other.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/q2_live_stream_ends_total\{reason="lifetime"\} 1/);
    } finally {
      await other.stop();
    }
  });
});

describe('shutdown', () => {
  it('ends open streams when the server closes, without hanging', async () => {
    const local = createManualClock(Date.UTC(2026, 11, 4, 12));
    const other = await startTestPlatform({}, { clock: local, insecureHttp: true });
    await other.listen();
    const user = await createPrivileged(other, local, ['security']);
    const client = await openSse(`${other.url}/v1/admin/events`, bearer(user.tokens.accessToken));
    expect(client.status).toBe(200);
    await other.stop();
    await client.ended;
    expect(client.status).toBe(200);
  });
});
