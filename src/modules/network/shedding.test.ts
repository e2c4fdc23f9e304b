import { describe, expect, it } from 'vitest';
import { DEFAULT_NETWORK_CONFIG } from './config.js';
import { createLoadMonitor, nextAllowance, pressureOf, type LoadSample } from './shedding.js';

const shedding = DEFAULT_NETWORK_CONFIG.shedding;
const MIN = shedding.minAdmitPerSecond;

describe('pressure', () => {
  it('is 0 below the start thresholds, 1 at the full ones, linear between', () => {
    expect(pressureOf({ eventLoopDelayMs: 10, heapUsedRatio: 0.2 }, shedding)).toBe(0);
    expect(pressureOf({ eventLoopDelayMs: shedding.delayStartMs, heapUsedRatio: 0.2 }, shedding)).toBe(0);
    expect(pressureOf({ eventLoopDelayMs: (shedding.delayStartMs + shedding.delayFullMs) / 2, heapUsedRatio: 0.2 }, shedding)).toBeCloseTo(0.5, 10);
    expect(pressureOf({ eventLoopDelayMs: shedding.delayFullMs, heapUsedRatio: 0.2 }, shedding)).toBe(1);
    expect(pressureOf({ eventLoopDelayMs: 0, heapUsedRatio: shedding.heapFullRatio }, shedding)).toBe(1);
    expect(pressureOf({ eventLoopDelayMs: 0, heapUsedRatio: (shedding.heapStartRatio + shedding.heapFullRatio) / 2 }, shedding)).toBeCloseTo(0.5, 10);
  });
});

describe('admission allowance (AIMD)', () => {
  it('stays unlimited while calm', () => {
    expect(nextAllowance(null, 0, 5_000, MIN)).toBeNull();
  });

  it('cuts from the admitted rate under pressure: by half at full pressure, less below it, never under the floor', () => {
    expect(nextAllowance(null, 1, 1_000, MIN)).toBe(500);
    expect(nextAllowance(500, 0.5, 1_000, MIN)).toBe(375);
    expect(nextAllowance(30, 1, 1_000, MIN)).toBe(MIN);
    expect(nextAllowance(null, 1, 0, MIN)).toBe(MIN);
  });

  it('grows back when calm and is released once demand is well under it', () => {
    expect(nextAllowance(100, 0, 100, MIN)).toBe(100 * 1.1 + MIN);
    expect(nextAllowance(100, 0, 10, MIN)).toBeNull();
  });
});

describe('load monitor', () => {
  function harness() {
    let sample: LoadSample = { eventLoopDelayMs: 5, heapUsedRatio: 0.1 };
    let t = 0;
    const changes: boolean[] = [];
    const monitor = createLoadMonitor({ config: shedding, sample: () => sample, now: () => t, onChange: (on) => changes.push(on) });
    return {
      monitor, changes,
      set: (s: LoadSample) => { sample = s; },
      /** Offers `n` requests spread over one sample interval, then samples. */
      interval(n: number) {
        let admitted = 0;
        for (let i = 0; i < n; i++) {
          t += shedding.sampleIntervalMs / n;
          if (monitor.admit()) admitted++;
        }
        monitor.tick();
        return admitted;
      },
    };
  }

  it('admits everything while calm and ignores up to two slow samples in a row', () => {
    const h = harness();
    expect(h.interval(500)).toBe(500);
    h.set({ eventLoopDelayMs: 5_000, heapUsedRatio: 0.1 });
    expect(h.interval(500)).toBe(500);
    expect(h.interval(500)).toBe(500);
    expect(h.monitor.allowance()).toBeNull();
    expect(h.changes).toEqual([]);
  });

  it('caps admissions under sustained overload, then recovers and releases once calm', () => {
    const h = harness();
    h.interval(1_000); // 10,000/s admitted while calm
    h.set({ eventLoopDelayMs: 5_000, heapUsedRatio: 0.1 });
    h.interval(1_000);
    h.interval(1_000);
    h.interval(1_000); // third overloaded sample in a row: limiting starts
    expect(h.monitor.allowance()).not.toBeNull();
    const during = h.interval(1_000);
    expect(during).toBeLessThan(1_000);
    expect(during).toBeGreaterThanOrEqual(Math.floor((MIN * shedding.sampleIntervalMs) / 1000));
    h.set({ eventLoopDelayMs: 5, heapUsedRatio: 0.1 });
    // A light legitimate load after the flood is admitted in full at once.
    expect(h.interval(5)).toBe(5);
    for (let i = 0; i < 5 && h.monitor.allowance() !== null; i++) h.interval(5);
    expect(h.monitor.allowance()).toBeNull();
    expect(h.changes).toEqual([true, false]);
  });

  it('measures real event-loop delay when no sampler is injected', async () => {
    const monitor = createLoadMonitor({ config: { ...shedding, delayStartMs: 50, delayFullMs: 100 } });
    try {
      monitor.tick(); // starts the probe; the periodic timer is not started, so only these ticks sample
      for (let round = 0; round < 3; round++) {
        const end = Date.now() + 250;
        while (Date.now() < end) { /* block the event loop on purpose */ }
        await new Promise((resolve) => setTimeout(resolve, 30));
        monitor.tick();
      }
      expect(monitor.pressure()).toBe(1);
    } finally {
      monitor.stop();
    }
  });
});
