/**
 * In-process security event bus. Each subscriber has its own FIFO queue drained asynchronously,
 * so emit() never blocks the request path and one slow subscriber never delays another.
 *
 * Invariant: an event is never dropped silently. A failing handler is retried with backoff; when
 * retries are exhausted the event goes to the dead-letter list and the problem is reported. A
 * growing backlog is reported each time it crosses the high-water mark, but nothing is discarded.
 *
 * A subscriber is sequential by default (one delivery at a time, in emission order). One whose
 * handler waits on something that batches — the audit log's group commit — subscribes with a
 * `concurrency`: deliveries still START in emission order, up to that many are in flight
 * together, and each is retried on its own, so a slow commit no longer serialises the stream.
 */
import type { Clock } from '../clock/index.js';
import type {
  EventHandler, SecurityEvent, SecurityEventInput, SubscriberProblem,
} from './types.js';

export interface SecurityEventBus {
  emit(input: SecurityEventInput): SecurityEvent;
  subscribe(name: string, handler: EventHandler, options?: SubscribeOptions): () => void;
  /** Resolves once every queue is empty (used by graceful shutdown and tests). */
  drain(): Promise<void>;
  deadLetters(): readonly { subscriber: string; event: SecurityEvent; error: string }[];
  stats(): { emitted: number; subscribers: { name: string; backlog: number; delivered: number; failed: number }[] };
}

export interface SubscribeOptions {
  /** Deliveries in flight at once (default 1: strictly one after the other). */
  concurrency?: number;
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
  /** Pending events from `head` on; consumed slots are dropped in chunks (shift() is O(n) on big queues). */
  queue: SecurityEvent[];
  head: number;
  concurrency: number;
  inFlight: number;
  /** A pump is queued on a microtask (one per burst of emits, not one per event). */
  scheduled: boolean;
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

  const backlogOf = (s: Subscriber) => s.queue.length - s.head;
  const isIdle = () => subscribers.every((s) => s.inFlight === 0 && backlogOf(s) === 0);
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
          report({ subscriber: sub.name, kind: 'failed', event, error, backlog: backlogOf(sub) });
          return;
        }
        await sleep(retryDelayMs(attempt));
      }
    }
  }

  function take(sub: Subscriber): SecurityEvent {
    const event = sub.queue[sub.head++] as SecurityEvent;
    if (sub.head === sub.queue.length) {
      sub.queue.length = 0;
      sub.head = 0;
    } else if (sub.head >= 1_024 && sub.head * 2 >= sub.queue.length) {
      sub.queue.splice(0, sub.head);
      sub.head = 0;
    }
    return event;
  }

  /** Starts deliveries until the queue is empty or `concurrency` are in flight. */
  function pump(sub: Subscriber): void {
    while (sub.inFlight < sub.concurrency && backlogOf(sub) > 0) {
      sub.inFlight++;
      void deliver(sub, take(sub)).then(() => {
        sub.inFlight--;
        if (backlogOf(sub) > 0) {
          pump(sub);
          return;
        }
        if (sub.inFlight === 0) {
          sub.reportedBacklog = false;
          wakeIdle();
        }
      });
    }
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
        if (backlogOf(sub) >= highWaterMark && !sub.reportedBacklog) {
          sub.reportedBacklog = true;
          report({ subscriber: sub.name, kind: 'backlog', backlog: backlogOf(sub) });
        }
        // Handlers run on a microtask so the emitter's request path never awaits a subscriber.
        if (sub.inFlight < sub.concurrency && !sub.scheduled) {
          sub.scheduled = true;
          queueMicrotask(() => {
            sub.scheduled = false;
            pump(sub);
          });
        }
      }
      return event;
    },
    subscribe(name, handler, subscribeOptions = {}) {
      const concurrency = subscribeOptions.concurrency ?? 1;
      if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new TypeError('subscriber concurrency must be a positive integer');
      const sub: Subscriber = {
        name, handler, queue: [], head: 0, concurrency, inFlight: 0, scheduled: false, delivered: 0, failed: 0, reportedBacklog: false,
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
        name: s.name, backlog: backlogOf(s), delivered: s.delivered, failed: s.failed,
      })),
    }),
  };
}
