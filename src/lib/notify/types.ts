/**
 * Outbound notification channels (email over SMTP, SMS through an HTTP provider). MFA sends
 * one-time codes through them; alerts reuse them later. Senders throw an AppError
 * `NOTIFY_DELIVERY_FAILED` when the provider is unreachable or refuses the message; its detail
 * never carries the provider's answer (that stays in `cause`, which is only logged).
 */

export interface MailMessage {
  /** One recipient address (validated: no display name, no list, no CR/LF). */
  to: string;
  subject: string;
  /** Plain text only: no HTML, no attachments, so a message cannot pull in files or URLs. */
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Closes pooled connections; safe to call twice. */
  close(): Promise<void>;
}

export interface SmsMessage {
  /** E.164 phone number, e.g. `+4915112345678`. */
  to: string;
  text: string;
  /** Why the message is sent (`mfa`, `alert`); forwarded to the provider for routing. */
  purpose: string;
}

export interface SmsSender {
  send(message: SmsMessage): Promise<void>;
}
