/**
 * Two replicas sharing PostgreSQL and Redis (SPEC §1): an alert raised on replica A reaches a
 * console streaming from replica B, a client resumes on B from an event id it got from A, and
 * although both replicas receive every alert, each recipient gets exactly one email (the
 * StateStore marker elects one sender per alert and recipient).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createManualClock } from '../../src/lib/clock/index.js';
import type { AlertDeliveryCapability } from '../../src/modules/detection/index.js';
import { createThrowawayPostgres, testDatabaseUrl, testRedisUrl, type ThrowawayDatabase } from '../support/backends.js';
import { bearer, post, registerAndLogin, STRONG_PASSWORD, uniqueEmail } from '../support/identity.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { createPrivileged, identityOf, WITHOUT_ADAPTIVE_LIMITS, type PrivilegedUser } from './alerts-support.js';
import { openSse, type SseClient } from './alerts-sse-client.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
let database: ThrowawayDatabase;
let sink: SmtpSink;
let a: TestPlatform;
let b: TestPlatform;
let admin: PrivilegedUser;
const recipients: string[] = [];
const clients: SseClient[] = [];

beforeAll(async () => {
  const adminUrl = await testDatabaseUrl();
  const redisUrl = await testRedisUrl();
  if (!adminUrl || !redisUrl) throw new Error('replica test needs PostgreSQL and Redis (set Q2_TEST_DATABASE_URL and Q2_TEST_REDIS_URL)');
  database = await createThrowawayPostgres(adminUrl);
  sink = await startSmtpSink();
  const env = { Q2_DATABASE_URL: database.url, Q2_REDIS_URL: redisUrl, Q2_SMTP_URL: sink.url };
  a = await startTestPlatform(env, { clock, insecureHttp: true, capabilities: WITHOUT_ADAPTIVE_LIMITS });
  // One master key for both, as replicas of one deployment share their KEK.
  b = await startTestPlatform({ ...env, Q2_MASTER_KEY_FILE: `${a.dataDir}/master.key` }, { clock, insecureHttp: true, capabilities: WITHOUT_ADAPTIVE_LIMITS });
  await a.listen();
  await b.listen();
  admin = await createPrivileged(a, clock, ['admin']);
  recipients.push(admin.email);
  const security = uniqueEmail('security');
  await identityOf(b).users.create({ email: security, passwordHash: await identityOf(b).hasher.hash(STRONG_PASSWORD), roles: ['security'] });
  recipients.push(security);
});
afterAll(async () => {
  for (const client of clients) client.close();
  await b?.stop();
  await a?.stop();
  await sink?.close();
  await database?.drop();
});

const delivery = (p: TestPlatform) => p.capabilities.find((c) => c.name === 'detection.delivery') as AlertDeliveryCapability;

async function stream(p: TestPlatform, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await openSse(`${p.url}/v1/admin/events?types=alert.raised`, { ...bearer(admin.tokens.accessToken), ...headers });
  clients.push(client);
  expect(client.status).toBe(200);
  return client;
}

/** A refresh token replayed on replica A: A's detection raises the critical token-reuse alert. */
async function raiseOnA(): Promise<string> {
  const { userId, tokens } = await registerAndLogin(a.app, uniqueEmail('victim'));
  expect((await post(a.app, '/v1/auth/refresh', { refreshToken: tokens.refreshToken })).statusCode).toBe(200);
  expect((await post(a.app, '/v1/auth/refresh', { refreshToken: tokens.refreshToken })).json().code).toBe('AUTH_REFRESH_REUSED');
  return userId;
}

const alertFor = (userId: string) => (m: { event: string; data: unknown }) => (m.data as { groupKey: string }).groupKey === userId;

describe('live stream across replicas', () => {
  it('delivers an alert raised on replica A to a console connected to replica B', async () => {
    const onB = await stream(b);
    const userId = await raiseOnA();
    const message = await onB.next(alertFor(userId));
    expect(message.data).toMatchObject({ ruleId: 'token-reuse', severity: 'critical', groupKey: userId });
  });

  it('resumes on replica B from an event id received from replica A', async () => {
    const onA = await stream(a);
    const witness = await stream(b);
    const first = await onA.next(alertFor(await raiseOnA()));
    onA.close();
    const missed = await raiseOnA();
    await witness.next(alertFor(missed));
    const resumed = await stream(b, { 'last-event-id': first.id! });
    const replayed = await resumed.next(alertFor(missed));
    expect(resumed.messages[0]).toEqual(replayed);
  });
});

describe('alert email across replicas', () => {
  it('sends one email per alert and recipient although both replicas received the alert', async () => {
    const seenOn = (p: TestPlatform, groupKey: string) => new Promise<string>((resolve) => {
      const stop = delivery(p).hub.listen((event) => {
        const alert = event.data as { id: string; groupKey: string };
        if (event.type === 'alert.raised' && alert.groupKey === groupKey) { stop(); resolve(alert.id); }
      });
    });
    const before = sink.messages.length;
    const { userId, tokens } = await registerAndLogin(a.app, uniqueEmail('victim'));
    const onA = seenOn(a, userId);
    const onB = seenOn(b, userId);
    expect((await post(a.app, '/v1/auth/refresh', { refreshToken: tokens.refreshToken })).statusCode).toBe(200);
    expect((await post(a.app, '/v1/auth/refresh', { refreshToken: tokens.refreshToken })).json().code).toBe('AUTH_REFRESH_REUSED');
    const [id, idOnB] = await Promise.all([onA, onB]);
    expect(idOnB).toBe(id);
    // Both mailers were offered the alert before the listeners above ran; wait until both are done.
    await Promise.all([delivery(a).mail!.idle(), delivery(b).mail!.idle()]);
    const mails = sink.messages.slice(before).filter((m) => m.body.includes(id));
    expect(mails.flatMap((m) => m.to).sort()).toEqual([...recipients].sort());
  });
});
