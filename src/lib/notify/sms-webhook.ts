/**
 * SMS through an HTTP provider: one JSON POST per message to Q2_SMS_WEBHOOK_URL, signed with
 * HMAC-SHA256 under Q2_SMS_WEBHOOK_SECRET (header format in ./webhook-signature.ts and
 * docs/mfa.md). Body:
 *
 *   { "id": "<uuid>", "to": "+4915112345678", "text": "…", "purpose": "mfa", "createdAt": <unix ms> }
 *
 * `id` is repeated in `X-Q2-Webhook-Id` for idempotent receivers. Redirects are refused (the
 * signed body, which carries a code, must not be forwarded elsewhere); plain http is allowed
 * only to loopback, for the same reason as SMTP.
 */
import { randomUUID } from 'node:crypto';

import type { Clock } from '../clock/index.js';
import { AppError } from '../errors/index.js';
import { assertPhoneNumber } from './recipients.js';
import type { SmsSender } from './types.js';
import { SIGNATURE_HEADER, WEBHOOK_ID_HEADER, signWebhook, webhookEndpoint } from './webhook-signature.js';

export interface WebhookSmsSenderOptions {
  url: string;
  secret: string;
  clock: Clock;
  /** Abort the POST after this long; default 10 s. */
  timeoutMs?: number;
  /** Injected for tests of transport failures; default the global fetch. */
  fetch?: typeof fetch;
}

export function createWebhookSmsSender(options: WebhookSmsSenderOptions): SmsSender {
  const url = webhookEndpoint('SMS', options.url, options.secret);
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;

  return {
    async send(message) {
      assertPhoneNumber(message.to);
      const id = randomUUID();
      const now = options.clock.now();
      const body = JSON.stringify({ id, to: message.to, text: message.text, purpose: message.purpose, createdAt: now });
      let response: Response;
      try {
        response = await doFetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signWebhook(options.secret, body, now),
            [WEBHOOK_ID_HEADER]: id,
          },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new AppError('NOTIFY_DELIVERY_FAILED', 'The SMS could not be delivered.', { cause: error });
      }
      // The provider's answer is not needed; release the connection without buffering it.
      await response.body?.cancel().catch(() => undefined);
      if (response.status < 200 || response.status > 299) {
        throw new AppError('NOTIFY_DELIVERY_FAILED', 'The SMS could not be delivered.', {
          cause: new Error(`SMS provider answered HTTP ${response.status}`),
        });
      }
    },
  };
}
