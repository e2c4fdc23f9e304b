/** The SMTP mailer against a real SMTP server (smtp-server) on a loopback port. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startSmtpSink, type SmtpSink } from '../../../test/support/smtp-sink.js';
import { createSmtpMailer } from './smtp-mailer.js';

describe('SMTP mailer', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => sink?.close());

  it('delivers a plain-text message to one recipient with the configured sender', async () => {
    const mailer = createSmtpMailer({ url: `${sink.url}?from=security@q2.example` });
    await mailer.send({ to: 'alice@example.test', subject: 'Your Q2 sign-in code', text: 'Your code is 123456.' });
    const mail = await sink.next();
    expect(mail.from).toBe('security@q2.example');
    expect(mail.to).toEqual(['alice@example.test']);
    expect(mail.subject).toBe('Your Q2 sign-in code');
    expect(mail.body).toContain('Your code is 123456.');
    expect(mail.raw).toMatch(/^Content-Type: text\/plain/m);
    await mailer.close();
  });

  it('refuses header injection and lists in the recipient before connecting', async () => {
    const mailer = createSmtpMailer({ url: sink.url });
    const before = sink.messages.length;
    for (const to of ['a@example.test\r\nBcc: b@example.test', 'a@example.test, b@example.test', 'Alice <a@example.test>', '']) {
      await expect(mailer.send({ to, subject: 's', text: 't' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(sink.messages.length).toBe(before);
    await mailer.close();
  });

  it('with TLS required, refuses to send to a server that cannot STARTTLS (no clear-text fallback)', async () => {
    const mailer = createSmtpMailer({ url: sink.url, requireTls: true, timeoutMs: 5_000 });
    const before = sink.messages.length;
    const error = await mailer.send({ to: 'alice@example.test', subject: 's', text: 'code 654321' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOTIFY_DELIVERY_FAILED', status: 502, detail: 'The email could not be delivered.' });
    expect(sink.messages.length).toBe(before);
    await mailer.close();
  });

  it('requires TLS for non-loopback relays and refuses to be configured without it', () => {
    expect(() => createSmtpMailer({ url: 'smtp://mail.example.test:587', requireTls: false })).toThrow(TypeError);
    expect(() => createSmtpMailer({ url: 'http://mail.example.test' })).toThrow(TypeError);
    expect(() => createSmtpMailer({ url: 'smtps://mail.example.test' })).not.toThrow();
    expect(() => createSmtpMailer({ url: 'smtp://mail.example.test:587' })).not.toThrow();
  });

  it('maps an unreachable server to NOTIFY_DELIVERY_FAILED without revealing the address', async () => {
    const mailer = createSmtpMailer({ url: 'smtp://127.0.0.1:1', timeoutMs: 2_000 });
    const error = await mailer.send({ to: 'alice@example.test', subject: 's', text: 't' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOTIFY_DELIVERY_FAILED' });
    expect((error as { detail: string }).detail).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
  });
});
