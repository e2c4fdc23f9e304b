import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock/index.js';
import { createSecurityEventBus } from './bus.js';
import type { SubscriberProblem } from './types.js';

const base = { type: 'auth.login', actor: 'u1', outcome: 'success' as const };

describe('security event bus', () => {
  it('delivers every event to every subscriber in order, stamped with the injected clock', async () => {
    const clock = createManualClock(1_000);
    const bus = createSecurityEventBus({ clock });
    const a: number[] = [];
    const b: string[] = [];
    bus.subscribe('a', (e) => { a.push(e.time); });
    bus.subscribe('b', (e) => { b.push(e.type); });
    for (let i = 0; i < 100; i++) {
      clock.advance(1);
      bus.emit({ ...base, type: `t${i}` });
    }
    await bus.drain();
    expect(a).toEqual(Array.from({ length: 100 }, (_, i) => 1_001 + i));
    expect(b[0]).toBe('t0');
    expect(b[99]).toBe('t99');
    expect(bus.stats().emitted).toBe(100);
  });

  it('emit never waits for a slow subscriber', async () => {
    const bus = createSecurityEventBus({ clock: createManualClock() });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const seen: string[] = [];
    bus.subscribe('slow', async (e) => { await gate; seen.push(e.type); });
    bus.emit(base);
    bus.emit({ ...base, type: 'second' });
    expect(seen).toEqual([]);
    expect(bus.stats().subscribers[0]!.backlog).toBeGreaterThanOrEqual(1);
    release();
    await bus.drain();
    expect(seen).toEqual(['auth.login', 'second']);
  });

  it('retries a failing subscriber, then dead-letters and reports instead of dropping silently', async () => {
    const problems: SubscriberProblem[] = [];
    const bus = createSecurityEventBus({
      clock: createManualClock(), maxAttempts: 3, retryDelayMs: () => 0, onProblem: (p) => problems.push(p),
    });
    let calls = 0;
    const healthy: string[] = [];
    bus.subscribe('broken', () => { calls++; throw new Error('disk full'); });
    bus.subscribe('healthy', (e) => { healthy.push(e.type); });
    bus.emit(base);
    await bus.drain();
    expect(calls).toBe(3);
    expect(healthy).toEqual(['auth.login']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ subscriber: 'broken', kind: 'failed' });
    expect(bus.deadLetters()).toEqual([expect.objectContaining({ subscriber: 'broken', error: 'disk full' })]);
  });

  it('recovers a subscriber that fails transiently without losing the event', async () => {
    const bus = createSecurityEventBus({ clock: createManualClock(), retryDelayMs: () => 0 });
    let failures = 1;
    const seen: string[] = [];
    bus.subscribe('flaky', (e) => {
      if (failures-- > 0) throw new Error('transient');
      seen.push(e.type);
    });
    bus.emit(base);
    await bus.drain();
    expect(seen).toEqual(['auth.login']);
    expect(bus.deadLetters()).toEqual([]);
  });

  it('reports a backlog past the high-water mark but keeps every event', async () => {
    const problems: SubscriberProblem[] = [];
    const bus = createSecurityEventBus({ clock: createManualClock(), highWaterMark: 10, onProblem: (p) => problems.push(p) });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let count = 0;
    bus.subscribe('slow', async () => { await gate; count++; });
    for (let i = 0; i < 50; i++) bus.emit(base);
    expect(problems.filter((p) => p.kind === 'backlog')).toHaveLength(1);
    release();
    await bus.drain();
    expect(count).toBe(50);
  });

  it('freezes events so a subscriber cannot alter what the next one sees', async () => {
    const bus = createSecurityEventBus({ clock: createManualClock() });
    const seen: unknown[] = [];
    bus.subscribe('vandal', (e) => { (e as { actor: string }).actor = 'mallory'; });
    bus.subscribe('auditor', (e) => { seen.push(e.actor); });
    bus.emit({ ...base, details: { a: 1 } });
    await bus.drain();
    expect(seen).toEqual(['u1']);
  });

  it('keeps a sequential subscriber strictly ordered through a backlog of thousands', async () => {
    const bus = createSecurityEventBus({ clock: createManualClock() });
    const seen: number[] = [];
    bus.subscribe('slow', async (e) => {
      await Promise.resolve();
      seen.push(e.details.i as number);
    });
    for (let i = 0; i < 5_000; i++) bus.emit({ ...base, details: { i } });
    await bus.drain();
    expect(seen).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
  });
});

describe('concurrent subscribers', () => {
  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => { resolve = r; });
    return { promise, resolve };
  };

  it('start deliveries in emission order with at most `concurrency` in flight, and drain waits for them', async () => {
    const bus = createSecurityEventBus({ clock: createManualClock() });
    const started: number[] = [];
    const gates = new Map<number, ReturnType<typeof deferred>>();
    let inFlight = 0;
    let peak = 0;
    bus.subscribe('batching', async (e) => {
      const i = e.details.i as number;
      started.push(i);
      inFlight++;
      peak = Math.max(peak, inFlight);
      const gate = deferred();
      gates.set(i, gate);
      await gate.promise;
      inFlight--;
    }, { concurrency: 4 });
    for (let i = 0; i < 10; i++) bus.emit({ ...base, details: { i } });
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2, 3]);
    let drained = false;
    const draining = bus.drain().then(() => { drained = true; });
    // Finishing one lets exactly one more start, still in emission order.
    gates.get(2)?.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2, 3, 4]);
    for (let i = 0; i < 10; i++) {
      gates.get(i)?.resolve();
      await new Promise((r) => setImmediate(r));
    }
    for (const gate of gates.values()) gate.resolve();
    await draining;
    expect(drained).toBe(true);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(4);
    expect(bus.stats().subscribers[0]).toMatchObject({ backlog: 0, delivered: 10, failed: 0 });
  });

  it('retries a failed delivery on its own without holding back the others', async () => {
    const bus = createSecurityEventBus({ clock: createManualClock(), retryDelayMs: () => 0 });
    const delivered: number[] = [];
    let failOnce = true;
    bus.subscribe('flaky', (e) => {
      const i = e.details.i as number;
      if (i === 1 && failOnce) {
        failOnce = false;
        throw new Error('transient');
      }
      delivered.push(i);
    }, { concurrency: 8 });
    for (let i = 0; i < 5; i++) bus.emit({ ...base, details: { i } });
    await bus.drain();
    expect([...delivered].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(delivered.indexOf(1)).toBeGreaterThan(delivered.indexOf(2));
    expect(bus.deadLetters()).toEqual([]);
  });

  it('refuses a concurrency that is not a positive integer', () => {
    const bus = createSecurityEventBus({ clock: createManualClock() });
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      expect(() => bus.subscribe('x', () => undefined, { concurrency })).toThrow(TypeError);
    }
  });
});
