import { describe, expect, it } from 'vitest';
import { DEFAULT_PAYOUT_RETRY, delayAfterAttempt, resolvePayoutRetryPolicy } from './payout-attempts.js';

describe('payout retry policy', () => {
  it('doubles the wait after each failed attempt up to the cap', () => {
    const waits = Array.from({ length: DEFAULT_PAYOUT_RETRY.maxAttempts }, (_, i) => delayAfterAttempt(DEFAULT_PAYOUT_RETRY, i + 1) / 1000);
    expect(waits).toEqual([30, 60, 120, 240, 480, 960, 1800, 1800]);
    expect(delayAfterAttempt(DEFAULT_PAYOUT_RETRY, 1000)).toBe(30 * 60_000);
  });

  it('gives up within about an hour by default, after a first wait longer than the webhook timeout (10 s)', () => {
    const total = Array.from({ length: DEFAULT_PAYOUT_RETRY.maxAttempts - 1 }, (_, i) => delayAfterAttempt(DEFAULT_PAYOUT_RETRY, i + 1)).reduce((a, b) => a + b, 0);
    expect(total).toBe(3690_000);
    expect(DEFAULT_PAYOUT_RETRY.baseDelayMs).toBeGreaterThan(10_000);
  });

  it('takes overrides and refuses nonsense', () => {
    expect(resolvePayoutRetryPolicy({ maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40 })).toEqual({ maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40 });
    for (const bad of [{ maxAttempts: 0 }, { baseDelayMs: -1 }, { maxDelayMs: 1.5 }, { baseDelayMs: 100, maxDelayMs: 50 }]) {
      expect(() => resolvePayoutRetryPolicy(bad)).toThrow(TypeError);
    }
  });
});
