/**
 * Email/SMS one-time codes on each backend pair, with a recording transport (the real SMTP and
 * webhook transports are exercised in src/lib/notify and test/attacks/mfa-otp.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSmtpMailer, type Mailer, type SmsSender } from '../../../lib/notify/index.js';
import { leakedSecrets, mfaBackends, type MfaTestEnv } from '../../../../test/support/mfa-harness.js';
import type { MfaService } from '../types.js';

let counter = 0;
const newUser = () => `user-otp-${++counter}-${Math.random().toString(36).slice(2)}`;
const newLogin = () => `q2p_login_${++counter}_${Math.random().toString(36).slice(2)}`;

function recordingMailer() {
  const sent: { to: string; subject: string; text: string }[] = [];
  const mailer: Mailer = { send: async (m) => void sent.push(m), close: async () => undefined };
  return { mailer, sent, lastCode: () => /\b([0-9]{6})\b/.exec(sent.at(-1)?.text ?? '')?.[1] ?? '' };
}

describe.each(await mfaBackends())('delivered one-time codes on $name', (backend) => {
  let env: MfaTestEnv;
  let mfa: MfaService;
  let mail: ReturnType<typeof recordingMailer>;
  const sms: { to: string; text: string; purpose: string }[] = [];

  beforeAll(async () => {
    env = await backend.open();
    mail = recordingMailer();
    const sender: SmsSender = { send: async (m) => void sms.push(m) };
    mfa = env.service({ mailer: mail.mailer, sms: sender });
  });
  afterAll(async () => env?.close());

  it('mails a 6-digit code that verifies once for its login and user', async () => {
    const [userId, login] = [newUser(), newLogin()];
    await mfa.email.send(userId, login, 'alice@example.test');
    expect(mail.sent.at(-1)).toMatchObject({ to: 'alice@example.test', subject: 'Your Q2 sign-in code' });
    const code = mail.lastCode();
    expect(code).toMatch(/^[0-9]{6}$/);
    expect(mail.sent.at(-1)!.text).toContain('expires in 10 minutes');
    await expect(mfa.email.verify(userId, login, code)).resolves.toEqual({ ok: true });
    await expect(mfa.email.verify(userId, login, code)).resolves.toEqual({ ok: false, reason: 'replayed' });
  });

  it('texts a code through the SMS sender with purpose "mfa"', async () => {
    const [userId, login] = [newUser(), newLogin()];
    await mfa.sms.send(userId, login, '+4915112345678');
    const message = sms.at(-1)!;
    expect(message).toMatchObject({ to: '+4915112345678', purpose: 'mfa' });
    const code = /([0-9]{6})/.exec(message.text)![1]!;
    await expect(mfa.sms.verify(userId, login, code)).resolves.toEqual({ ok: true });
  });

  it('binds a code to its channel, login and user', async () => {
    const [userId, login] = [newUser(), newLogin()];
    await mfa.email.send(userId, login, 'bob@example.test');
    const code = mail.lastCode();
    await expect(mfa.sms.verify(userId, login, code)).resolves.toEqual({ ok: false, reason: 'expired' });
    await expect(mfa.email.verify(userId, newLogin(), code)).resolves.toEqual({ ok: false, reason: 'expired' });
    await expect(mfa.email.verify(newUser(), login, code)).resolves.toEqual({ ok: false, reason: 'invalid' });
    await expect(mfa.email.verify(userId, login, code)).resolves.toEqual({ ok: true });
  });

  it('stores neither the code nor the login key in the state store', async () => {
    const [userId, login] = [newUser(), newLogin()];
    await mfa.email.send(userId, login, 'carol@example.test');
    const code = mail.lastCode();
    const { createHash } = await import('node:crypto');
    const raw = await env.state.get(`mfa:otp:email:c:${createHash('sha256').update(login).digest('base64url')}`);
    expect(raw).not.toBeNull();
    expect(raw).not.toContain(code);
    expect(raw).not.toContain(login);
    expect(JSON.parse(raw!)).toMatchObject({ userId, hash: expect.stringMatching(/^v\d+:/) });
  });

  it('expires a code after 10 minutes (injected clock)', async () => {
    const [userId, login] = [newUser(), newLogin()];
    await mfa.email.send(userId, login, 'dave@example.test');
    const code = mail.lastCode();
    env.clock.advance(10 * 60_000);
    await expect(mfa.email.verify(userId, login, code)).resolves.toEqual({ ok: false, reason: 'expired' });
  });

  it('allows 5 attempts per code; the 6th is refused even with the right code', async () => {
    const [userId, login] = [newUser(), newLogin()];
    await mfa.email.send(userId, login, 'erin@example.test');
    const code = mail.lastCode();
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i++) await expect(mfa.email.verify(userId, login, wrong)).resolves.toEqual({ ok: false, reason: 'invalid' });
    await expect(mfa.email.verify(userId, login, code)).resolves.toEqual({ ok: false, reason: 'too_many_attempts' });
  });

  it('a resend replaces the code; the old one no longer works', async () => {
    const [userId, login] = [newUser(), newLogin()];
    await mfa.email.send(userId, login, 'frank@example.test');
    const first = mail.lastCode();
    env.clock.advance(30_000);
    await mfa.email.send(userId, login, 'frank@example.test');
    const second = mail.lastCode();
    // The two codes coincide with probability 1e-6; the expectations cover that case too.
    const same = first === second;
    await expect(mfa.email.verify(userId, login, first)).resolves.toEqual(same ? { ok: true } : { ok: false, reason: 'invalid' });
    await expect(mfa.email.verify(userId, login, second)).resolves.toEqual(same ? { ok: false, reason: 'replayed' } : { ok: true });
  });

  it('rate-limits resends: 30 s cooldown, 3 per login, with Retry-After and RateLimit-* headers', async () => {
    const [userId, login] = [newUser(), newLogin()];
    await mfa.email.send(userId, login, 'gina@example.test');
    const early = await mfa.email.send(userId, login, 'gina@example.test').catch((e: unknown) => e);
    expect(early).toMatchObject({ code: 'RATE_LIMITED', status: 429, headers: { 'Retry-After': '30', 'RateLimit-Remaining': '0' } });
    env.clock.advance(30_000);
    await mfa.email.send(userId, login, 'gina@example.test');
    env.clock.advance(30_000);
    await mfa.email.send(userId, login, 'gina@example.test');
    env.clock.advance(30_000);
    await expect(mfa.email.send(userId, login, 'gina@example.test')).rejects.toMatchObject({ code: 'RATE_LIMITED', headers: { 'RateLimit-Limit': '3' } });
  });

  it('caps sends per user per hour across logins', async () => {
    const userId = newUser();
    for (let i = 0; i < 10; i++) await mfa.sms.send(userId, newLogin(), '+4915112345678');
    await expect(mfa.sms.send(userId, newLogin(), '+4915112345678')).rejects.toMatchObject({ code: 'RATE_LIMITED', headers: { 'RateLimit-Limit': '10' } });
  });

  it('refuses malformed destinations with VALIDATION_FAILED before anything is stored or sent', async () => {
    const before = mail.sent.length;
    await expect(mfa.email.send(newUser(), newLogin(), 'a@b.test\r\nBcc: x@evil.test')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(mfa.email.send(newUser(), newLogin(), 'Alice <alice@example.test>')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(mfa.sms.send(newUser(), newLogin(), '015112345678')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(mail.sent.length).toBe(before);
  });

  it('answers MFA_METHOD_UNAVAILABLE when the channel is not configured, and does not list it', async () => {
    const bare = env.service();
    await expect(bare.email.send(newUser(), newLogin(), 'x@example.test')).rejects.toMatchObject({ code: 'MFA_METHOD_UNAVAILABLE', status: 400 });
    await expect(bare.sms.send(newUser(), newLogin(), '+4915112345678')).rejects.toMatchObject({ code: 'MFA_METHOD_UNAVAILABLE' });
    await expect(bare.methodsFor(newUser(), { email: true, phone: true })).resolves.toEqual([]);
    await expect(mfa.methodsFor(newUser(), { email: true, phone: true })).resolves.toEqual(['email', 'sms']);
    await expect(mfa.methodsFor(newUser(), { email: true })).resolves.toEqual(['email']);
  });

  it('reports a failed delivery as NOTIFY_DELIVERY_FAILED and emits send_failed', async () => {
    // A real SMTP mailer aimed at a loopback port where nothing listens.
    const unreachable = createSmtpMailer({ url: 'smtp://127.0.0.1:1', timeoutMs: 2_000 });
    const userId = newUser();
    const error = await env.service({ mailer: unreachable }).email.send(userId, newLogin(), 'h@example.test').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOTIFY_DELIVERY_FAILED', status: 502, detail: 'The email could not be delivered.' });
    const events = (await env.events()).filter((e) => e.actor === userId);
    expect(events.map((e) => e.type)).toEqual(['mfa.email.send_failed']);
  });

  it('emits sent/verified/failed events without codes, addresses or login keys', async () => {
    const [userId, login] = [newUser(), newLogin()];
    await mfa.email.send(userId, login, 'ivan@example.test', { ip: '198.51.100.7', requestId: 'r1' });
    const code = mail.lastCode();
    await mfa.email.verify(userId, login, '000000' === code ? '111111' : '000000');
    await mfa.email.verify(userId, login, code);
    const events = (await env.events()).filter((e) => e.actor === userId);
    expect(events.map((e) => [e.type, e.outcome])).toEqual([
      ['mfa.email.sent', 'success'], ['mfa.email.failed', 'failure'], ['mfa.email.verified', 'success'],
    ]);
    expect(events[0]).toMatchObject({ ip: '198.51.100.7', requestId: 'r1', details: { method: 'email', ttlMs: 600_000 } });
    expect(leakedSecrets(events, [code, login, 'ivan@example.test'])).toEqual([]);
  });
});
