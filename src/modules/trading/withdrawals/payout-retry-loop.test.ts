import { describe, expect, it, vi } from 'vitest';
import { startPayoutRetryLoop } from './payout-retry-loop.js';

describe('payout retry loop', () => {
  it('never overlaps two sweeps of one replica: runOnce waits for the sweep in flight', async () => {
    let running = 0;
    let overlapped = false;
    let sweeps = 0;
    const loop = startPayoutRetryLoop({
      intervalMs: 60_000, onError: () => undefined,
      sweep: async () => {
        overlapped ||= running > 0;
        running++;
        await new Promise((resolve) => setImmediate(resolve));
        running--;
        sweeps++;
      },
    });
    await Promise.all([loop.runOnce(), loop.runOnce(), loop.runOnce()]);
    expect([sweeps, overlapped]).toEqual([3, false]);
    await loop.close();
  });

  it('ticks on its own, survives a failing sweep, and stops when closed', async () => {
    const errors: unknown[] = [];
    let sweeps = 0;
    const loop = startPayoutRetryLoop({
      intervalMs: 5, onError: (error) => errors.push(error),
      sweep: async () => {
        sweeps++;
        if (sweeps === 1) throw new Error('database away');
      },
    });
    await vi.waitFor(() => expect(sweeps).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 5 });
    expect(errors).toHaveLength(1);
    await loop.close();
    const after = sweeps;
    await loop.runOnce();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sweeps).toBe(after);
  });

  it('refuses a non-positive interval', () => {
    expect(() => startPayoutRetryLoop({ intervalMs: 0, sweep: async () => undefined, onError: () => undefined })).toThrow(TypeError);
  });
});
