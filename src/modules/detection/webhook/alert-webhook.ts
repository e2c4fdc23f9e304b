/**
 * Real-time alert delivery to Q2_ALERT_WEBHOOK_URL: one POST per alert, HMAC-SHA256 signed like
 * every outbound webhook (src/lib/notify/webhook-signature.ts, re-signed per attempt so the
 * timestamp is fresh), retried with exponential backoff on network errors, 429 and 5xx.
 *
 * Never on the request path: `send` only queues; deliveries run one at a time in the
 * background. The receiver deduplicates retries by `X-Q2-Webhook-Id` (the alert id).
 */
import { exponentialBackoffMs, type Clock } from '../../../lib/clock/index.js';
import type { Logger } from '../../../lib/log/index.js';
import { SIGNATURE_HEADER, signWebhook, WEBHOOK_ID_HEADER } from '../../../lib/notify/webhook-signature.js';
import type { Alert } from '../store/alert-store.js';

export interface AlertWebhookOptions {
  url: string;
  secret: string;
  clock: Clock;
  logger: Pick<Logger, 'warn' | 'error'>;
  fetch?: typeof globalThis.fetch;
  /** Waits between attempts; injectable so tests never sleep. */
  sleep?: (ms: number) => Promise<void>;
  maxAttempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  /** Alerts waiting beyond this are refused with an error log rather than growing memory without bound. */
  maxQueue?: number;
}

export interface AlertWebhook {
  send(alert: Alert): void;
  /** Resolves when the queue is empty (shutdown, tests). */
  idle(): Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => { setTimeout(resolve, ms).unref(); });

/** Backoff before retry `attempt` (1-based): base, 2×base, 4×base … capped at 5 minutes. */
export function backoffMs(attempt: number, baseMs: number): number {
  return exponentialBackoffMs(attempt, baseMs, 300_000);
}

export function createAlertWebhook(options: AlertWebhookOptions): AlertWebhook {
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? realSleep;
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 1_000;
  const maxQueue = options.maxQueue ?? 1_000;
  let pending = 0;
  let tail: Promise<void> = Promise.resolve();

  async function deliver(alert: Alert): Promise<void> {
    const body = JSON.stringify({ type: 'alert.raised', alert });
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let retryable = true;
      let status: number | string = 'network error';
      try {
        const response = await doFetch(options.url, {
          method: 'POST', body, redirect: 'error', signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signWebhook(options.secret, body, options.clock.now()),
            [WEBHOOK_ID_HEADER]: alert.id,
          },
        });
        await response.body?.cancel();
        if (response.ok) return;
        status = response.status;
        retryable = response.status === 429 || response.status >= 500;
      } catch (error) {
        status = error instanceof Error ? error.name : 'error';
      }
      if (!retryable || attempt === maxAttempts) {
        options.logger.error({ alertId: alert.id, status, attempts: attempt }, 'alert webhook delivery failed');
        return;
      }
      options.logger.warn({ alertId: alert.id, status, attempt }, 'alert webhook attempt failed; retrying');
      await sleep(backoffMs(attempt, baseDelayMs));
    }
  }

  return {
    send(alert) {
      if (pending >= maxQueue) {
        options.logger.error({ alertId: alert.id }, 'alert webhook queue full; alert not delivered (it is stored and listed)');
        return;
      }
      pending++;
      tail = tail.then(() => deliver(alert)).finally(() => { pending--; });
    },
    idle: () => tail,
  };
}
