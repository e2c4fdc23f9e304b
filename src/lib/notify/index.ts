/** Outbound notifications: email over SMTP and SMS through a signed HTTP webhook (docs/mfa.md). */
export { createNotifiers, type Notifiers } from './create-notifiers.js';
export { assertEmailAddress, assertPhoneNumber, isLoopbackHost } from './recipients.js';
export { createSmtpMailer, type SmtpMailerOptions } from './smtp-mailer.js';
export { createWebhookSmsSender, type WebhookSmsSenderOptions } from './sms-webhook.js';
export type { MailMessage, Mailer, SmsMessage, SmsSender } from './types.js';
export {
  SIGNATURE_HEADER,
  WEBHOOK_ID_HEADER,
  signWebhook,
  verifyWebhookSignature,
  webhookEndpoint,
  type WebhookSignatureVerdict,
} from './webhook-signature.js';
