/** Which channels exist is decided by configuration alone. */
import { describe, expect, it } from 'vitest';

import { createManualClock } from '../clock/index.js';
import { createNotifiers } from './create-notifiers.js';

describe('createNotifiers', () => {
  const clock = createManualClock();

  it('creates no channel without configuration', async () => {
    const notifiers = createNotifiers({}, clock);
    expect(notifiers.mailer).toBeUndefined();
    expect(notifiers.sms).toBeUndefined();
    await expect(notifiers.close()).resolves.toBeUndefined();
  });

  it('creates the mailer from Q2_SMTP_URL and the SMS sender from the webhook URL and secret', async () => {
    const notifiers = createNotifiers({
      smtpUrl: 'smtps://mail.example.test', smsWebhookUrl: 'https://sms.example.test/hook', smsWebhookSecret: 'a-long-enough-secret-value',
    }, clock);
    expect(typeof notifiers.mailer?.send).toBe('function');
    expect(typeof notifiers.sms?.send).toBe('function');
    await notifiers.close();
  });

  it('fails fast on an insecure remote SMTP or SMS configuration', () => {
    expect(() => createNotifiers({ smsWebhookUrl: 'http://sms.example.test/hook', smsWebhookSecret: 'a-long-enough-secret-value' }, clock)).toThrow(TypeError);
    expect(() => createNotifiers({ smsWebhookUrl: 'https://sms.example.test/hook', smsWebhookSecret: 'short' }, clock)).toThrow(TypeError);
  });
});
