/**
 * Alert email (SPEC §7 "alerts go out in real time: … email"). Every replica receives every
 * `alert.raised` from the live hub; for each recipient, a StateStore `setIfAbsent` marker elects
 * exactly one replica to send, so several replicas never mail the same alert twice to one person.
 * Sending runs in a bounded background queue (never on the event bus or a request), retried with
 * exponential backoff; when the queue is full new mail is dropped and counted, never buffered
 * without bound. The message names the rule, severity and alert id only: no addresses, user ids
 * or other evidence leaves the platform by mail (admins read those in the console).
 */
import { Counter, type Registry } from 'prom-client';

import type { Mailer } from '../../../lib/notify/index.js';
import type { StateStore } from '../../../lib/state/index.js';
import type { Severity } from '../rules/types.js';
import type { Alert } from '../store/alert-store.js';
import type { AlertRecipient } from './admin-recipients.js';

const RANK: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2, critical: 3 };

export interface AlertMailerOptions {
  mailer: Mailer;
  state: StateStore;
  recipients: () => Promise<AlertRecipient[]>;
  metrics: Registry;
  logger: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Where the mail points admins to (the console), e.g. `https://q2.example`. */
  publicUrl: string;
  /** Lowest severity mailed (default `high`). */
  minSeverity?: Severity;
  /** Alerts waiting to be mailed before new ones are dropped (default 1,000). */
  maxQueue?: number;
  /** Attempts per recipient (default 6: about a minute of backoff in all). */
  maxAttempts?: number;
  /** Backoff before retry n is baseDelayMs·2^(n−1) (default 2 s). */
  baseDelayMs?: number;
  /** Injectable so tests decide when a retry happens instead of waiting. */
  sleep?: (ms: number) => Promise<void>;
  /** How long the per-alert-per-recipient marker lives (default 7 days). */
  markerTtlMs?: number;
}

export interface AlertMailer {
  /** Queues the alert if its severity is at or above the threshold; never blocks. */
  offer(alert: Alert): void;
  /** Resolves when the queue is empty and nothing is being sent. */
  idle(): Promise<void>;
  /** Stops retrying, finishes the message in flight, drops the rest. */
  close(): Promise<void>;
}

export function meetsSeverity(severity: Severity, min: Severity): boolean {
  return RANK[severity] >= RANK[min];
}

export function alertMail(alert: Alert, publicUrl: string): { subject: string; text: string } {
  return {
    subject: `[Q2 alert] ${alert.severity.toUpperCase()}: ${alert.title}`,
    text: [
      `A ${alert.severity} alert was raised by detection rule ${alert.ruleId} (version ${alert.ruleVersion}).`,
      '',
      `Alert:   ${alert.id}`,
      `Rule:    ${alert.title}`,
      `Raised:  ${new Date(alert.createdAt).toISOString()}`,
      `Events:  ${alert.events.length}`,
      '',
      `Review and acknowledge it in the console: ${publicUrl}/console/`,
      'The evidence (accounts, addresses) is shown there only, to signed-in administrators.',
    ].join('\n'),
  };
}

export function createAlertMailer(options: AlertMailerOptions): AlertMailer {
  const minSeverity = options.minSeverity ?? 'high';
  const maxQueue = options.maxQueue ?? 1_000;
  const maxAttempts = options.maxAttempts ?? 6;
  const baseDelayMs = options.baseDelayMs ?? 2_000;
  const markerTtlMs = options.markerTtlMs ?? 7 * 24 * 3_600_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  const mails = new Counter({
    name: 'q2_alert_mail_total', help: 'Alert emails by outcome (sent, failed after retries, dropped on a full queue)',
    labelNames: ['outcome'] as const, registers: [options.metrics],
  });
  const queue: Alert[] = [];
  let running: Promise<void> | null = null;
  let closing = false;
  let wakeClose: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => { wakeClose = resolve; });

  async function deliver(alert: Alert, recipient: AlertRecipient): Promise<void> {
    const key = `detection:alert-mail:${alert.id}:${recipient.userId}`;
    if (!(await options.state.setIfAbsent(key, '1', markerTtlMs))) return;
    const message = alertMail(alert, options.publicUrl);
    for (let attempt = 1; ; attempt++) {
      try {
        await options.mailer.send({ to: recipient.email, ...message });
        mails.inc({ outcome: 'sent' });
        return;
      } catch (error) {
        if (attempt >= maxAttempts || closing) {
          mails.inc({ outcome: 'failed' });
          options.logger.error({ err: error, alertId: alert.id, attempts: attempt }, 'alert email not delivered');
          return;
        }
        await Promise.race([sleep(baseDelayMs * 2 ** (attempt - 1)), closed]);
      }
    }
  }

  async function pump(): Promise<void> {
    while (queue.length > 0 && !closing) {
      const alert = queue.shift()!;
      try {
        for (const recipient of await options.recipients()) {
          if (closing) return;
          await deliver(alert, recipient);
        }
      } catch (error) {
        // The recipient lookup or the marker store failed: this alert's mail is lost, the queue goes on.
        mails.inc({ outcome: 'failed' });
        options.logger.error({ err: error, alertId: alert.id }, 'alert email not delivered');
      }
    }
  }

  return {
    offer(alert) {
      if (closing || !meetsSeverity(alert.severity, minSeverity)) return;
      if (queue.length >= maxQueue) {
        mails.inc({ outcome: 'dropped' });
        options.logger.warn({ alertId: alert.id, queued: queue.length }, 'alert email queue full: mail dropped');
        return;
      }
      queue.push(alert);
      running ??= pump().finally(() => { running = null; });
    },
    async idle() {
      while (running !== null) await running;
    },
    async close() {
      closing = true;
      wakeClose();
      queue.length = 0;
      while (running !== null) await running;
    },
  };
}
