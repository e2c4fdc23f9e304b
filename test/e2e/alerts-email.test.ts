/**
 * Alert email through a real SMTP server (test/support/smtp-sink.ts): alerts at or above `high`
 * go to every admin and security user, below that nobody is mailed, the message carries no
 * personal data, and a mail server that is down is retried with backoff until it takes the mail.
 * Retries wait on an injected sleep that the test releases: no wall-clock waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createManualClock } from '../../src/lib/clock/index.js';
import type { AlertDeliveryCapability } from '../../src/modules/detection/index.js';
import { STRONG_PASSWORD, uniqueEmail } from '../support/identity.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { identityOf } from './alerts-support.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
let platform: TestPlatform;
let sink: SmtpSink;
let smtpDown = false;
const recipients: string[] = [];
/** Retry sleeps the mailer asked for, each with the function that ends it. */
const sleeps: { ms: number; wake: () => void }[] = [];
let sleepRequested: () => void = () => undefined;

beforeAll(async () => {
  sink = await startSmtpSink({
    // A relay that is down answers 421 at connect (RFC 5321 §3.8); nodemailer then fails the send.
    onConnect(_session, callback) {
      callback(smtpDown ? Object.assign(new Error('service not available'), { responseCode: 421 }) : undefined);
    },
  });
  platform = await startTestPlatform({ Q2_SMTP_URL: sink.url }, {
    clock,
    capabilities: {
      delivery: {
        mail: {
          baseDelayMs: 1_000,
          sleep: (ms) => new Promise<void>((wake) => { sleeps.push({ ms, wake }); sleepRequested(); }),
        },
      },
    },
  });
  const identity = identityOf(platform);
  const hash = await identity.hasher.hash(STRONG_PASSWORD);
  for (const roles of [['admin'], ['security'], ['compliance'], ['trader']] as const) {
    const email = uniqueEmail(roles[0]);
    await identity.users.create({ email, passwordHash: hash, roles: [...roles] });
    if (roles[0] === 'admin' || roles[0] === 'security') recipients.push(email);
  }
});
afterAll(async () => {
  await platform?.stop();
  await sink?.close();
});

const delivery = () => platform.capabilities.find((c) => c.name === 'detection.delivery') as AlertDeliveryCapability;

/** Emits the token-reuse trigger for `actor` and returns the id of the critical alert it raised. */
async function raiseCritical(actor: string): Promise<string> {
  const raised = new Promise<string>((resolve) => {
    const stop = delivery().hub.listen((event) => {
      const alert = event.data as { id: string; groupKey: string };
      if (event.type === 'alert.raised' && alert.groupKey === actor) { stop(); resolve(alert.id); }
    });
  });
  platform.events.emit({ type: 'auth.refresh.reused', actor, target: 'session-zq81x', outcome: 'denied', ip: '203.0.113.9' });
  return raised;
}

async function mailsFor(alertId: string, count: number) {
  while (sink.messages.filter((m) => m.body.includes(alertId)).length < count) await sink.next();
  return sink.messages.filter((m) => m.body.includes(alertId));
}

describe('alert email', () => {
  it('mails a critical alert once to each admin and security user, and to nobody else', async () => {
    const id = await raiseCritical('user-mail-1');
    await delivery().mail!.idle();
    const mails = await mailsFor(id, 2);
    expect(mails.flatMap((m) => m.to).sort()).toEqual([...recipients].sort());
    expect(mails[0]!.subject).toBe('[Q2 alert] CRITICAL: Refresh token reused');
    expect(mails[0]!.body).toContain('detection rule token-reuse (version 1)');
    expect(mails[0]!.body).toContain('https://localhost:8443/console/');
  });

  it('puts no personal data in the message: neither the account, the address nor the session', async () => {
    const id = await raiseCritical('user-private-7');
    const mails = await mailsFor(id, 2);
    for (const mail of mails) {
      for (const secret of ['user-private-7', '203.0.113.9', 'session-zq81x']) {
        expect(mail.raw).not.toContain(secret);
      }
    }
  });

  it('does not mail alerts below the threshold (default high)', async () => {
    let medium: string | null = null;
    const stop = delivery().hub.listen((event) => {
      const alert = event.data as { id: string; severity: string; ruleId: string };
      if (event.type === 'alert.raised' && alert.ruleId === 'risk-rejection-burst') medium = alert.id;
    });
    for (let i = 0; i < 10; i++) platform.events.emit({ type: 'risk.rejected', actor: 'trader-burst', target: `o-${i}`, outcome: 'denied' });
    await platform.events.drain();
    // Mail is sent in order: had the medium alert been queued, its mail would precede this one's.
    const critical = await raiseCritical('user-after-medium');
    await mailsFor(critical, 2);
    stop();
    expect(medium).not.toBeNull();
    expect(sink.messages.some((m) => m.body.includes(medium!))).toBe(false);
  });

  it('retries with backoff while the mail server is down, and delivers once it is back', async () => {
    smtpDown = true;
    const retrying = new Promise<void>((resolve) => { sleepRequested = resolve; });
    const id = await raiseCritical('user-smtp-down');
    await retrying;
    expect(sleeps.map((s) => s.ms)).toEqual([1_000]);
    expect(sink.messages.some((m) => m.body.includes(id))).toBe(false);
    smtpDown = false;
    sleeps.shift()!.wake();
    const mails = await mailsFor(id, 2);
    expect(mails.flatMap((m) => m.to).sort()).toEqual([...recipients].sort());
    const metrics = (await platform.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/q2_alert_mail_total\{outcome="sent"\} [1-9]/);
  });
});

describe('Q2_ALERT_EMAIL_SEVERITY', () => {
  it('lowers the threshold: a medium alert is mailed when the variable says medium', async () => {
    const local = createManualClock(Date.UTC(2026, 11, 4, 12));
    const other = await startTestPlatform({ Q2_SMTP_URL: sink.url, Q2_ALERT_EMAIL_SEVERITY: 'medium' }, { clock: local });
    try {
      const identity = identityOf(other);
      const email = uniqueEmail('medium-admin');
      await identity.users.create({ email, passwordHash: await identity.hasher.hash(STRONG_PASSWORD), roles: ['security'] });
      const live = other.capabilities.find((c) => c.name === 'detection.delivery') as AlertDeliveryCapability;
      const raised = new Promise<string>((resolve) => {
        live.hub.listen((event) => {
          const alert = event.data as { id: string; ruleId: string };
          if (event.type === 'alert.raised' && alert.ruleId === 'risk-rejection-burst') resolve(alert.id);
        });
      });
      for (let i = 0; i < 10; i++) other.events.emit({ type: 'risk.rejected', actor: 'trader-medium', target: `o-${i}`, outcome: 'denied' });
      const id = await raised;
      const [mail] = await mailsFor(id, 1);
      expect(mail!.to).toEqual([email]);
      expect(mail!.subject).toMatch(/^\[Q2 alert\] MEDIUM: /);
    } finally {
      await other.stop();
    }
  });
});
