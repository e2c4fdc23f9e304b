/**
 * In-process security event bus. Each subscriber has its own FIFO queue drained asynchronously,
 * so emit() never blocks the request path and one slow subscriber never delays another.
 *
 * Invariant: an event is never dropped silently. A failing handler is retried with backoff; when
 * retries are exhausted the event goes to the dead-letter list and the problem is reported. A
 * growing backlog is reported each time it crosses the high-water mark, but nothing is discarded.
 */
import type { Clock } from '../clock/index.js';
import type {
  EventHandler, SecurityEvent, SecurityEventInput, SubscriberProblem,
} from './types.js';

export interface SecurityEventBus {
  emit(input: SecurityEventInput): SecurityEvent;
  subscribe(name: string, handler: EventHandler): () => void;
  /** Resolves once every queue is empty (used by graceful shutdown and tests). */
  drain(): Promise<void>;
  deadLetters(): readonly { subscriber: string; event: SecurityEvent; error: string }[];
  stats(): { emitted: number; subscribers: { name: string; backlog: number; delivered: number; failed: number }[] };
}

export interface EventBusOptions {
  clock: Clock;
  onProblem?: (problem: SubscriberProblem) => void;
  maxAttempts?: number;
  highWaterMark?: number;
  /** Backoff before retry n (1-based); injectable so tests do not wait. */
  retryDelayMs?: (attempt: number) => number;
}

interface Subscriber {
  name: string;
  handler: EventHandler;
  queue: SecurityEvent[];
  running: boolean;
  delivered: number;
  failed: number;
  reportedBacklog: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createSecurityEventBus(options: EventBusOptions): SecurityEventBus {
  const maxAttempts = options.maxAttempts ?? 3;
  const highWaterMark = options.highWaterMark ?? 10_000;
  const retryDelayMs = options.retryDelayMs ?? ((attempt: number) => 50 * 2 ** (attempt - 1));
  const report = options.onProblem ?? (() => undefined);
  const subscribers: Subscriber[] = [];
  const dead: { subscriber: string; event: SecurityEvent; error: string }[] = [];
  const idleWaiters: (() => void)[] = [];
  let emitted = 0;

  const isIdle = () => subscribers.every((s) => !s.running && s.queue.length === 0);
  const wakeIdle = () => {
    if (!isIdle()) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  };

  async function deliver(sub: Subscriber, event: SecurityEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await sub.handler(event);
        sub.delivered++;
        return;
      } catch (error) {
        if (attempt >= maxAttempts) {
          sub.failed++;
          dead.push({ subscriber: sub.name, event, error: error instanceof Error ? error.message : String(error) });
          report({ subscriber: sub.name, kind: 'failed', event, error, backlog: sub.queue.length });
          return;
        }
        await sleep(retryDelayMs(attempt));
      }
    }
  }

  async function pump(sub: Subscriber): Promise<void> {
    sub.running = true;
    while (sub.queue.length > 0) {
      const event = sub.queue.shift() as SecurityEvent;
      await deliver(sub, event);
    }
    sub.running = false;
    sub.reportedBacklog = false;
    wakeIdle();
  }

  return {
    emit(input) {
      const event: SecurityEvent = Object.freeze({
        type: input.type,
        time: input.time ?? options.clock.now(),
        actor: input.actor,
        target: input.target ?? null,
        outcome: input.outcome,
        ip: input.ip ?? null,
        requestId: input.requestId ?? null,
        details: Object.freeze({ ...(input.details ?? {}) }),
      });
      emitted++;
      for (const sub of subscribers) {
        sub.queue.push(event);
        if (sub.queue.length >= highWaterMark && !sub.reportedBacklog) {
          sub.reportedBacklog = true;
          report({ subscriber: sub.name, kind: 'backlog', backlog: sub.queue.length });
        }
        // Deliver on a microtask so the emitter's request path never awaits a subscriber.
        if (!sub.running) void pump(sub);
      }
      return event;
    },
    subscribe(name, handler) {
      const sub: Subscriber = {
        name, handler, queue: [], running: false, delivered: 0, failed: 0, reportedBacklog: false,
      };
      subscribers.push(sub);
      return () => {
        const index = subscribers.indexOf(sub);
        if (index >= 0) subscribers.splice(index, 1);
      };
    },
    drain() {
      if (isIdle()) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    deadLetters: () => dead.slice(),
    stats: () => ({
      emitted,
      subscribers: subscribers.map((s) => ({
        name: s.name, backlog: s.queue.length, delivered: s.delivered, failed: s.failed,
      })),
    }),
  };
}
