import { describe, expect, it } from 'vitest';
import { detectJump, robustZ } from './jump.js';

const policy = { jumpZ: 8, jumpMinBps: 50, jumpMaxBps: 1_000, volatilityMinSamples: 20 };
// ±5 bp returns: a calm market (σ ≈ 7 bp).
const calm = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 5e-4 : -5e-4) * ((i % 7) / 7 + 0.5));
// ±60 bp returns: a volatile one.
const volatile = calm.map((r) => r * 120);

describe('robust z-score jump detection', () => {
  it('is insensitive to a few outliers in the window (median/MAD, not mean/stddev)', () => {
    const polluted = [...calm.slice(0, 95), 0.5, -0.5, 0.4, -0.4, 0.3];
    expect(robustZ(0.01, polluted)! / robustZ(0.01, calm)!).toBeGreaterThan(0.8);
  });

  it('flags a 2% move in a calm market but not in a volatile one', () => {
    expect(detectJump(10_000n, 10_200n, calm, policy)).toMatchObject({ jump: true, moveBps: 200 });
    expect(detectJump(10_000n, 10_200n, volatile, policy)).toMatchObject({ jump: false, moveBps: 200 });
  });

  it('never flags moves below jumpMinBps, always flags moves above jumpMaxBps', () => {
    expect(detectJump(10_000n, 10_040n, calm, policy).jump).toBe(false);
    expect(detectJump(10_000n, 11_100n, volatile, policy).jump).toBe(true);
    expect(detectJump(10_000n, 8_900n, [], policy).jump).toBe(true);
  });

  it('uses only the fixed cap until the window holds volatilityMinSamples returns', () => {
    expect(detectJump(10_000n, 10_500n, calm.slice(0, 19), policy)).toMatchObject({ jump: false, z: null });
    expect(detectJump(10_000n, 10_500n, calm.slice(0, 20), policy).jump).toBe(true);
  });

  it('survives a window of identical returns (MAD = 0) through the σ floor', () => {
    const flat = Array.from({ length: 50 }, () => 0);
    const verdict = detectJump(10_000n, 10_060n, flat, policy);
    expect(verdict.jump).toBe(true);
    expect(Number.isFinite(verdict.z)).toBe(true);
  });
});
