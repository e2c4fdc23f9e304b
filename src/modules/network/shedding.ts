/**
 * Load shedding with an adaptive admission rate (AIMD, as in TCP congestion control and
 * Netflix's concurrency limits), driven by overload signals in the manner of Envoy's overload
 * manager. Pressure in [0, 1] comes from event-loop delay and heap use, each scaled between a
 * start and a full threshold. While the pressure is up, the rate of admitted (non-exempt)
 * requests is cut multiplicatively from what was getting through; once calm, it grows back
 * and is released entirely when demand is well under it. Everything over the allowance is
 * answered 503 at once, before any work: the queue that would build in socket buffers (and
 * that delays /healthz and everyone else) never forms.
 *
 * Pressure must be up on three samples in a row (300 ms) to count: a GC pause, one synchronous
 * task or a moment of CPU starvation is not a flood. Health and admin classes are never shed. Legitimate clients below the
 * allowance are not shed once the flood stops: the allowance only bounds the total.
 */
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { SheddingConfig } from './config.js';

export interface LoadSample {
  /** Worst event-loop delay over the last sample period, ms. */
  eventLoopDelayMs: number;
  /** heapUsed / heap size limit. */
  heapUsedRatio: number;
}

const scale = (value: number, start: number, full: number): number =>
  value <= start ? 0 : value >= full ? 1 : (value - start) / (full - start);

/** Pressure in [0, 1]: the worse of the two signals. */
export function pressureOf(sample: LoadSample, config: SheddingConfig): number {
  return Math.max(
    scale(sample.eventLoopDelayMs, config.delayStartMs, config.delayFullMs),
    scale(sample.heapUsedRatio, config.heapStartRatio, config.heapFullRatio),
  );
}

/**
 * The next admission allowance (requests/s; null = unlimited) after a sample with `pressure`
 * (already debounced), given how many requests per second were admitted over the sample.
 */
export function nextAllowance(current: number | null, pressure: number, admittedPerSecond: number, minAdmitPerSecond: number): number | null {
  if (pressure > 0) {
    const base = current ?? Math.max(admittedPerSecond, minAdmitPerSecond);
    // Multiplicative decrease: halve at full pressure, gentler below it.
    return Math.max(minAdmitPerSecond, base * (1 - pressure / 2));
  }
  if (current === null) return null;
  // Additive-ish increase; release when demand is comfortably under the allowance.
  const grown = current * 1.1 + minAdmitPerSecond;
  return grown >= 2 * admittedPerSecond + minAdmitPerSecond ? null : grown;
}

export interface LoadMonitor {
  /** Debounced pressure of the last sample, in [0, 1]. */
  pressure(): number;
  /** Admission rate while shedding (requests/s), or null when not limiting. */
  allowance(): number | null;
  /** Per non-exempt request: false means shed it. */
  admit(): boolean;
  /** Takes one sample now (the timer calls this; tests may too). */
  tick(): void;
  start(): void;
  stop(): void;
}

export interface LoadMonitorOptions {
  config: SheddingConfig;
  /** Replaces the process sampler (tests). */
  sample?: () => LoadSample;
  /** Monotonic ms for the admission slices; performance.now by default. */
  now?: () => number;
  onChange?(shedding: boolean, pressure: number, sample: LoadSample): void;
}

/**
 * Event-loop delay as the lateness of a 20 ms probe timer: the worst lateness seen since the
 * last sample (including a block still in progress). perf_hooks' histogram is not used
 * because its first interval after a reset is discarded, which hides exactly the block that
 * ended a sample period.
 */
function processSampler(): { sample(): LoadSample; stop(): void } {
  const probeMs = 20;
  let expected = performance.now() + probeMs;
  let worst = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - expected);
    expected = now + probeMs;
  }, probeMs);
  probe.unref();
  return {
    sample() {
      const delayMs = Math.max(worst, performance.now() - expected, 0);
      worst = 0;
      const heap = getHeapStatistics();
      return { eventLoopDelayMs: delayMs, heapUsedRatio: heap.used_heap_size / heap.heap_size_limit };
    },
    stop: () => clearInterval(probe),
  };
}

export function createLoadMonitor(options: LoadMonitorOptions): LoadMonitor {
  const { config } = options;
  const now = options.now ?? (() => performance.now());
  let sampler: { sample(): LoadSample; stop(): void } | undefined;
  let current = 0;
  /** The two samples before this one: pressure counts only when all three agree. */
  let previous: number[] = [0, 0];
  let allowance: number | null = null;
  let admittedSinceTick = 0;
  let lastTick = now();
  let sliceStart = now();
  let admittedInSlice = 0;
  let timer: NodeJS.Timeout | undefined;

  const monitor: LoadMonitor = {
    pressure: () => current,
    allowance: () => allowance,
    admit() {
      if (allowance === null) {
        admittedSinceTick++;
        return true;
      }
      const t = now();
      if (t - sliceStart >= config.sampleIntervalMs) {
        sliceStart = t;
        admittedInSlice = 0;
      }
      if (admittedInSlice >= Math.max(1, (allowance * config.sampleIntervalMs) / 1000)) return false;
      admittedInSlice++;
      admittedSinceTick++;
      return true;
    },
    tick() {
      const sample = options.sample ? options.sample() : (sampler ??= processSampler()).sample();
      const t = now();
      const admittedPerSecond = (admittedSinceTick * 1000) / Math.max(1, t - lastTick);
      admittedSinceTick = 0;
      lastTick = t;
      const measured = pressureOf(sample, config);
      current = Math.min(measured, ...previous);
      previous = [measured, previous[0] ?? 0];
      const was = allowance !== null;
      allowance = nextAllowance(allowance, current, admittedPerSecond, config.minAdmitPerSecond);
      if (was !== (allowance !== null)) options.onChange?.(allowance !== null, current, sample);
    },
    start() {
      if (timer) return;
      if (!options.sample) sampler ??= processSampler();
      timer = setInterval(() => monitor.tick(), config.sampleIntervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      sampler?.stop();
      sampler = undefined;
    },
  };
  return monitor;
}
