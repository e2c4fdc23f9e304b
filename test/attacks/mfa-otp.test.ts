/**
 * Threat: guessing, replaying or racing email/SMS one-time codes. Codes travel through a real
 * SMTP server and a real HTTP provider endpoint that checks the webhook signature; the attacker
 * has the password (a pending login) but not the mailbox or phone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSmtpMailer, createWebhookSmsSender, type Mailer } from '../../src/lib/notify/index.js';
import type { MfaService } from '../../src/modules/mfa/index.js';
import { leakedSecrets, mfaBackends, type MfaTestEnv } from '../support/mfa-harness.js';
import { startSmsReceiver, type SmsReceiver } from '../support/sms-receiver.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const SMS_SECRET = 'attack-suite-sms-secret-0123456789';
let counter = 0;
const newUser = () => `victim-otp-${++counter}-${Math.random().toString(36).slice(2)}`;
const newLogin = () => `q2p_otp_${++counter}_${Math.random().toString(36).slice(2)}`;
const codeIn = (text: string) => /\b([0-9]{6})\b/.exec(text)?.[1] ?? '';
const other = (code: string, delta = 1) => String((Number(code) + delta) % 1_000_000).padStart(6, '0');

describe.each(await mfaBackends())('email/SMS code attacks on $name', (backend) => {
  let env: MfaTestEnv;
  let sink: SmtpSink;
  let receiver: SmsReceiver;
  let mailer: Mailer;
  let replicaA: MfaService;
  let replicaB: MfaService;

  beforeAll(async () => {
    env = await backend.open();
    sink = await startSmtpSink();
    receiver = await startSmsReceiver(SMS_SECRET, () => env.clock.now());
    mailer = createSmtpMailer({ url: `${sink.url}?from=security@q2.example` });
    const sms = createWebhookSmsSender({ url: receiver.url, secret: SMS_SECRET, clock: env.clock });
    replicaA = env.service({ mailer, sms });
    replicaB = await env.replica({ mailer, sms });
  });
  afterAll(async () => {
    await mailer?.close();
    await sink?.close();
    await receiver?.close();
    await env?.close();
  });

  async function emailCode(userId: string, login: string) {
    await replicaA.email.send(userId, login, 'victim@example.test');
    const mail = await sink.next();
    expect(mail.to).toEqual(['victim@example.test']);
    return codeIn(mail.body);
  }

  it('delivers the code by real SMTP and by a signed SMS webhook, each usable exactly once', async () => {
    const [userId, login] = [newUser(), newLogin()];
    const mailed = await emailCode(userId, login);
    expect(mailed).toMatch(/^[0-9]{6}$/);
    await expect(replicaB.email.verify(userId, login, mailed)).resolves.toEqual({ ok: true });
    await expect(replicaA.email.verify(userId, login, mailed)).resolves.toEqual({ ok: false, reason: 'replayed' });

    await replicaA.sms.send(userId, login, '+4915112345678');
    const sms = receiver.received.at(-1)!;
    expect(sms.verdict.ok).toBe(true);
    const texted = codeIn(sms.json.text);
    await expect(replicaB.sms.verify(userId, login, texted)).resolves.toEqual({ ok: true });
    await expect(replicaB.sms.verify(userId, login, texted)).resolves.toEqual({ ok: false, reason: 'replayed' });
  });

  it('allows at most 5 attempts per code, counted across replicas', async () => {
    const [userId, login] = [newUser(), newLogin()];
    const code = await emailCode(userId, login);
    const guesses = await Promise.all([1, 2, 3, 4, 5].map((d, i) => (i % 2 ? replicaA : replicaB).email.verify(userId, login, other(code, d))));
    expect(guesses.every((v) => !v.ok && v.reason === 'invalid')).toBe(true);
    await expect(replicaA.email.verify(userId, login, code)).resolves.toEqual({ ok: false, reason: 'too_many_attempts' });
  });

  it('bounds guessing across resends to 3 codes × 5 attempts for one login', async () => {
    const [userId, login] = [newUser(), newLogin()];
    let attempts = 0;
    for (let send = 0; send < 3; send++) {
      const code = await emailCode(userId, login);
      for (let i = 1; i <= 6; i++) {
        const verdict = await replicaA.email.verify(userId, login, other(code, i));
        if (!verdict.ok && verdict.reason === 'invalid') attempts++;
      }
      env.clock.advance(30_000);
    }
    expect(attempts).toBe(15);
    await expect(replicaA.email.send(userId, login, 'victim@example.test')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('rejects an expired code (intercepted mail used after 10 minutes)', async () => {
    const [userId, login] = [newUser(), newLogin()];
    const code = await emailCode(userId, login);
    env.clock.advance(10 * 60_000);
    await expect(replicaB.email.verify(userId, login, code)).resolves.toEqual({ ok: false, reason: 'expired' });
  });

  it('lets exactly one of concurrent submissions of the right code win', async () => {
    const [userId, login] = [newUser(), newLogin()];
    const code = await emailCode(userId, login);
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => (i % 2 ? replicaA : replicaB).email.verify(userId, login, code)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it("rejects a code from the attacker's own login used on the victim's login", async () => {
    const [victim, attacker] = [newUser(), newUser()];
    const [victimLogin, attackerLogin] = [newLogin(), newLogin()];
    await replicaA.email.send(victim, victimLogin, 'victim@example.test');
    await sink.next();
    const attackerCode = await emailCode(attacker, attackerLogin);
    await expect(replicaA.email.verify(victim, victimLogin, attackerCode)).resolves.toMatchObject({ ok: false });
    await expect(replicaA.email.verify(attacker, victimLogin, attackerCode)).resolves.toEqual({ ok: false, reason: 'invalid' });
  });

  it('never puts a code, address or phone number into security events', async () => {
    const [userId, login] = [newUser(), newLogin()];
    const code = await emailCode(userId, login);
    await replicaA.email.verify(userId, login, code);
    await replicaA.sms.send(userId, newLogin(), '+4915112345678');
    const texted = codeIn(receiver.received.at(-1)!.json.text);
    const events = (await env.events()).filter((e) => e.actor === userId);
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(leakedSecrets(events, [code, texted, 'victim@example.test', '+4915112345678', login])).toEqual([]);
  });
});
