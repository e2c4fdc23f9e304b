/**
 * Threat: an attacker locks a victim out by guessing, and the victim never learns why. The owner
 * gets one email per lock episode (not one per guess) through a real SMTP server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock/index.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { post, STRONG_PASSWORD, uniqueEmail } from '../support/identity.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
let smtp: SmtpSink;
let platform: TestPlatform;

beforeAll(async () => {
  smtp = await startSmtpSink();
  platform = await startTestPlatform({ Q2_SMTP_URL: smtp.url, Q2_TRUST_PROXY: '127.0.0.1/32' }, { clock });
});
afterAll(async () => {
  await platform.stop();
  await smtp.close();
});

describe('owner notification on lock', () => {
  it('emails the owner once when guessing locks the account, not once per guess', async () => {
    const email = uniqueEmail('notified');
    expect((await post(platform.app, '/v1/auth/register', { email, password: STRONG_PASSWORD })).statusCode).toBe(201);
    for (let i = 0; i < 5; i++) await post(platform.app, '/v1/auth/login', { email, password: `wrong-guess-${i}-abc` }, { 'x-forwarded-for': '203.0.113.44' });
    await platform.events.drain();
    expect(smtp.messages.filter((m) => m.to.includes(email))).toHaveLength(0); // 5 free failures: no lock yet

    await post(platform.app, '/v1/auth/login', { email, password: 'wrong-guess-6-abc' }, { 'x-forwarded-for': '203.0.113.44' });
    const mail = await smtp.next();
    expect(mail.to).toEqual([email]);
    expect(mail.subject).toContain('locked');
    expect(mail.body).not.toContain('wrong-guess');

    for (let i = 0; i < 5; i++) {
      clock.advance(70_000); // past each short lock, so the guesses are evaluated and re-lock
      await post(platform.app, '/v1/auth/login', { email, password: `later-guess-${i}-abc` }, { 'x-forwarded-for': '203.0.113.44' });
    }
    await platform.events.drain();
    expect(smtp.messages.filter((m) => m.to.includes(email))).toHaveLength(1);
  });
});
