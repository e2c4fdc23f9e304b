import { describe, expect, it } from 'vitest';
import { DEFAULT_NETWORK_CONFIG, resolveNetworkConfig } from './config.js';

describe('network config', () => {
  it('defaults to the documented policy, frozen', () => {
    const config = resolveNetworkConfig();
    expect(config.classes.auth.perIp).toEqual({ limit: 60, windowMs: 60_000 });
    expect(config.classes.admin.shed).toBe(false);
    expect(config.classes.health.shed).toBe(false);
    expect(Object.isFrozen(config.classes.auth)).toBe(true);
    expect(config.recidive.banMaxMs).toBe(3 * 24 * 3600_000);
  });

  it('merges overrides deeply and leaves the defaults untouched', () => {
    const config = resolveNetworkConfig({ classes: { read: { perIp: { limit: 5, windowMs: 1_000 } } }, recidive: { maxOffences: 3 } });
    expect(config.classes.read.perIp).toEqual({ limit: 5, windowMs: 1_000 });
    expect(config.classes.read.perAccount).toEqual(DEFAULT_NETWORK_CONFIG.classes.read.perAccount);
    expect(config.recidive.maxOffences).toBe(3);
    expect(config.recidive.banBaseMs).toBe(DEFAULT_NETWORK_CONFIG.recidive.banBaseMs);
    expect(DEFAULT_NETWORK_CONFIG.classes.read.perIp?.limit).toBe(2400);
  });

  it.each([
    ['a zero limit', { classes: { read: { perIp: { limit: 0, windowMs: 1_000 } } } }],
    ['descending tiers', { adaptive: { tiers: [{ name: 'a', minScore: -100, factor: 1 }, { name: 'b', minScore: -200, factor: 1 }] } }],
    ['tiers that do not start at minScore', { adaptive: { tiers: [{ name: 'a', minScore: 0, factor: 1 }] } }],
    ['inverted shedding thresholds', { shedding: { delayStartMs: 500, delayFullMs: 100 } }],
    ['an IPv6 prefix of 8', { ipv6PrefixLength: 8 }],
    ['a ban shorter than its base', { recidive: { banMaxMs: 1 } }],
  ])('refuses %s at boot', (_name, overrides) => {
    expect(() => resolveNetworkConfig(overrides as Parameters<typeof resolveNetworkConfig>[0])).toThrow(TypeError);
  });
});
