/**
 * Email over SMTP (RFC 5321) with nodemailer. `smtps://` is implicit TLS (RFC 8314); `smtp://`
 * must upgrade with STARTTLS (RFC 3207) unless the server is on the loopback interface (a local
 * relay), so a one-time code never crosses a network in clear text. Certificates are verified
 * (TLS ≥ 1.2); file and URL access in message content is disabled.
 */
import type { ConnectionOptions } from 'node:tls';
import nodemailer from 'nodemailer';

import { AppError } from '../errors/index.js';
import { assertEmailAddress, isLoopbackHost } from './recipients.js';
import type { Mailer } from './types.js';

export interface SmtpMailerOptions {
  /** `smtp://[user:pass@]host[:port][?from=address]` or `smtps://…` (Q2_SMTP_URL). */
  url: string;
  /** Sender address; overrides `?from=` in the URL. Default `no-reply@localhost`. */
  from?: string;
  /**
   * Force STARTTLS on `smtp://`. Default: required unless the host is loopback. Setting it to
   * false for a non-loopback host is refused.
   */
  requireTls?: boolean;
  /** Extra TLS options, e.g. a private CA for the relay's certificate. */
  tls?: ConnectionOptions;
  /** Connection, greeting and socket timeout; default 10 s. */
  timeoutMs?: number;
}

export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const url = new URL(options.url);
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'smtp' && scheme !== 'smtps') throw new TypeError('SMTP URL must use smtp:// or smtps://');
  const loopback = isLoopbackHost(url.hostname);
  const requireTls = options.requireTls ?? !loopback;
  if (scheme === 'smtp' && !requireTls && !loopback) {
    throw new TypeError('SMTP without TLS is only allowed to a loopback relay');
  }
  const from = options.from ?? url.searchParams.get('from') ?? 'no-reply@localhost';
  assertEmailAddress(from);
  const timeout = options.timeoutMs ?? 10_000;

  const transport = nodemailer.createTransport({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : scheme === 'smtps' ? 465 : 587,
    secure: scheme === 'smtps',
    requireTLS: scheme === 'smtp' && requireTls,
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    tls: { minVersion: 'TLSv1.2', rejectUnauthorized: true, ...options.tls },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  });

  return {
    async send(message) {
      assertEmailAddress(message.to);
      try {
        await transport.sendMail({
          from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          disableFileAccess: true,
          disableUrlAccess: true,
        });
      } catch (error) {
        // The SMTP reply may name hosts and accounts: keep it in `cause` (logged), not in detail.
        throw new AppError('NOTIFY_DELIVERY_FAILED', 'The email could not be delivered.', { cause: error });
      }
    },
    async close() {
      transport.close();
    },
  };
}
