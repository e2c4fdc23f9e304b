/**
 * Feeding the log from the event bus: every event is appended exactly once, appends start in
 * emission order, several durability waits overlap (so group commit can batch), and a failed
 * append is retried by the bus for the same event.
 */
import { describe, expect, it } from 'vitest';

import { createManualClock } from '../../../lib/clock/index.js';
import { createSecurityEventBus } from '../../../lib/events/index.js';
import type { AuditEntryInput } from '../entry/types.js';
import type { AppendReceipt } from './audit-logger.js';
import { entryFromEvent, subscribeAuditLog } from './subscription.js';

function fakeSink(options: { failFirstFor?: Set<number> } = {}) {
  const appended: AuditEntryInput[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const waiting: (() => void)[] = [];
  return {
    appended,
    maxInFlight: () => maxInFlight,
    /** Completes every append waiting for "durability". */
    commit: () => waiting.splice(0).forEach((done) => done()),
    async append(input: AuditEntryInput): Promise<AppendReceipt> {
      const n = (input.details as { n: number }).n;
      if (options.failFirstFor?.delete(n)) throw new Error('database unavailable');
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((resolve) => waiting.push(resolve));
      inFlight--;
      appended.push(input);
      return { seq: appended.length - 1, leafHash: '' };
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('subscribeAuditLog', () => {
  it('maps the event type to the action and keeps every other field', () => {
    const bus = createSecurityEventBus({ clock: createManualClock(5) });
    const event = bus.emit({ type: 'apikey.created', actor: 'user:1', outcome: 'success', target: 'key:1', ip: '192.0.2.1', requestId: 'r', details: { a: 1 } });
    expect(entryFromEvent(event)).toEqual({ action: 'apikey.created', actor: 'user:1', outcome: 'success', time: 5, target: 'key:1', ip: '192.0.2.1', requestId: 'r', details: { a: 1 } });
  });

  it('appends each event once, in emission order, with up to `concurrency` durability waits in flight together', async () => {
    const bus = createSecurityEventBus({ clock: createManualClock() });
    const sink = fakeSink();
    subscribeAuditLog(bus, sink, 8);
    for (let n = 0; n < 100; n++) bus.emit({ type: 'x', actor: 'a', outcome: 'info', details: { n } });
    while (sink.appended.length < 100) {
      await settle();
      sink.commit();
    }
    await bus.drain();
    // The fake commits in arrival order, as group commit sequences a batch.
    expect(sink.appended.map((e) => (e.details as { n: number }).n)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(sink.maxInFlight()).toBe(8);
  });

  it('waits for durability one event at a time with concurrency 1', async () => {
    const bus = createSecurityEventBus({ clock: createManualClock() });
    const sink = fakeSink();
    subscribeAuditLog(bus, sink, 1);
    for (let n = 0; n < 5; n++) bus.emit({ type: 'x', actor: 'a', outcome: 'info', details: { n } });
    while (sink.appended.length < 5) {
      await settle();
      sink.commit();
    }
    expect(sink.maxInFlight()).toBe(1);
    expect(sink.appended.map((e) => (e.details as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
  });

  it('retries a failed append for the same event, and every other event is appended once', async () => {
    const bus = createSecurityEventBus({ clock: createManualClock(), retryDelayMs: () => 0 });
    const sink = fakeSink({ failFirstFor: new Set([3, 10, 11]) });
    subscribeAuditLog(bus, sink, 4);
    for (let n = 0; n < 40; n++) bus.emit({ type: 'x', actor: 'a', outcome: 'info', details: { n } });
    for (let i = 0; sink.appended.length < 40 && i < 10_000; i++) {
      await settle();
      sink.commit();
    }
    await bus.drain();
    const ns = sink.appended.map((e) => (e.details as { n: number }).n);
    expect(ns.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(bus.deadLetters()).toEqual([]);
  });

  it('refuses a concurrency outside 1..65536', () => {
    const bus = createSecurityEventBus({ clock: createManualClock() });
    expect(() => subscribeAuditLog(bus, fakeSink(), 0)).toThrow(TypeError);
    expect(() => subscribeAuditLog(bus, fakeSink(), 1.5)).toThrow(TypeError);
    expect(() => subscribeAuditLog(bus, fakeSink(), 65_537)).toThrow(TypeError);
  });

  it('stops appending once unsubscribed', async () => {
    const bus = createSecurityEventBus({ clock: createManualClock() });
    const sink = fakeSink();
    subscribeAuditLog(bus, sink, 3)();
    bus.emit({ type: 'x', actor: 'a', outcome: 'info', details: { n: 1 } });
    await bus.drain();
    expect(sink.appended).toEqual([]);
    expect(bus.stats().subscribers).toEqual([]);
  });
});
