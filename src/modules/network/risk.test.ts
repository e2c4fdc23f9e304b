import { describe, expect, it } from 'vitest';
import { DEFAULT_NETWORK_CONFIG } from './config.js';
import { applySignal, decayedScore, factorFor, recordTtlMs, scaleLimit, tierFor } from './risk.js';

const adaptive = DEFAULT_NETWORK_CONFIG.adaptive;

describe('risk score', () => {
  it('halves every half-life', () => {
    const record = { score: 80, at: 0 };
    expect(decayedScore(record, adaptive.halfLifeMs, adaptive.halfLifeMs)).toBeCloseTo(40, 10);
    expect(decayedScore(record, 3 * adaptive.halfLifeMs, adaptive.halfLifeMs)).toBeCloseTo(10, 10);
    expect(decayedScore(record, -5, adaptive.halfLifeMs)).toBe(80);
  });

  it('adds signal weights to the decayed score, within the configured bounds', () => {
    const once = applySignal(null, adaptive.weights['detection-alert'], 0, adaptive);
    expect(once.score).toBe(40);
    const later = applySignal({ ...once, tier: 'elevated' }, 10, adaptive.halfLifeMs, adaptive);
    expect(later.score).toBeCloseTo(30, 10);
    expect(applySignal(null, 1e9, 0, adaptive).score).toBe(adaptive.maxScore);
    expect(applySignal(null, -1e9, 0, adaptive).score).toBe(adaptive.minScore);
  });

  it('maps scores to tiers at the exact configured thresholds', () => {
    expect(tierFor(-100, adaptive.tiers).name).toBe('trusted');
    expect(tierFor(-20.01, adaptive.tiers).name).toBe('trusted');
    expect(tierFor(-20, adaptive.tiers).name).toBe('normal');
    expect(tierFor(0, adaptive.tiers).name).toBe('normal');
    expect(tierFor(29.99, adaptive.tiers).name).toBe('normal');
    expect(tierFor(30, adaptive.tiers).name).toBe('elevated');
    expect(tierFor(60, adaptive.tiers).name).toBe('high');
    expect(tierFor(120, adaptive.tiers).name).toBe('critical');
    expect(tierFor(-1e6, adaptive.tiers).name).toBe('trusted');
  });

  it('clamps tier factors to [minFactor, maxFactor]', () => {
    const wild = { ...adaptive, tiers: [{ name: 'a', minScore: -100, factor: 10 }, { name: 'b', minScore: 0, factor: 0.0001 }] };
    expect(factorFor(-50, wild)).toBe(adaptive.maxFactor);
    expect(factorFor(50, wild)).toBe(adaptive.minFactor);
  });

  it('scales a limit down to at least 1 request', () => {
    expect(scaleLimit({ limit: 600, windowMs: 60_000 }, 0.5)).toEqual({ limit: 300, windowMs: 60_000 });
    expect(scaleLimit({ limit: 600, windowMs: 60_000 }, 1.5)).toEqual({ limit: 900, windowMs: 60_000 });
    expect(scaleLimit({ limit: 3, windowMs: 1_000 }, 0.05)).toEqual({ limit: 1, windowMs: 1_000 });
  });

  it('keeps a record until its score has decayed to nothing', () => {
    const ttl = recordTtlMs(120, adaptive.halfLifeMs);
    expect(decayedScore({ score: 120, at: 0 }, ttl, adaptive.halfLifeMs)).toBe(0);
    expect(decayedScore({ score: 120, at: 0 }, ttl - adaptive.halfLifeMs * 2, adaptive.halfLifeMs)).toBeGreaterThan(0);
  });
});
