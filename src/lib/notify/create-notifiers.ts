/**
 * Builds the configured senders from the `notify` config slice (Q2_SMTP_URL,
 * Q2_SMS_WEBHOOK_URL/SECRET). A channel without configuration is absent, and features that
 * need it (email/SMS OTP) are not offered.
 */
import type { Clock } from '../clock/index.js';
import type { NotifyConfig } from '../config/index.js';
import { createWebhookSmsSender } from './sms-webhook.js';
import { createSmtpMailer } from './smtp-mailer.js';
import type { Mailer, SmsSender } from './types.js';

export interface Notifiers {
  mailer?: Mailer;
  sms?: SmsSender;
  close(): Promise<void>;
}

export function createNotifiers(config: NotifyConfig, clock: Clock): Notifiers {
  const mailer = config.smtpUrl ? createSmtpMailer({ url: config.smtpUrl }) : undefined;
  const sms = config.smsWebhookUrl && config.smsWebhookSecret
    ? createWebhookSmsSender({ url: config.smsWebhookUrl, secret: config.smsWebhookSecret, clock })
    : undefined;
  return {
    ...(mailer ? { mailer } : {}),
    ...(sms ? { sms } : {}),
    close: async () => mailer?.close(),
  };
}
