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

  it('switches a limit off with null, or on where the default has none', () => {
    const config = resolveNetworkConfig({ classes: { read: { perApiKey: null }, auth: { perAccount: { limit: 10, windowMs: 60_000 } } } });
    expect(config.classes.read.perApiKey).toBeNull();
    expect(config.classes.auth.perAccount).toEqual({ limit: 10, windowMs: 60_000 });
  });

  it('layers code overrides on an operator policy', () => {
    const operator = resolveNetworkConfig({ recidive: { maxOffences: 4 } });
    const config = resolveNetworkConfig({ connections: { maxPerIp: 8 } }, operator);
    expect(config.recidive.maxOffences).toBe(4);
    expect(config.connections.maxPerIp).toBe(8);
  });

  it.each([
    ['a zero limit', { classes: { read: { perIp: { limit: 0, windowMs: 1_000 } } } }],
    ['descending tiers', { adaptive: { tiers: [{ name: 'a', minScore: -100, factor: 1 }, { name: 'b', minScore: -200, factor: 1 }] } }],
    ['tiers that do not start at minScore', { adaptive: { tiers: [{ name: 'a', minScore: 0, factor: 1 }] } }],
    ['inverted shedding thresholds', { shedding: { delayStartMs: 500, delayFullMs: 100 } }],
    ['an IPv6 prefix of 8', { ipv6PrefixLength: 8 }],
    ['a ban shorter than its base', { recidive: { banMaxMs: 1 } }],
    ['an unknown setting', { recidive: { maxOffence: 3 } }],
    ['a null where a number belongs', { connections: { maxPerIp: null } }],
    ['a limit with extra fields', { classes: { read: { perIp: { limit: 5, windowMs: 1_000, burst: 9 } } } }],
    ['a tier without a name', { adaptive: { tiers: [{ minScore: -100, factor: 1 }] } }],
  ])('refuses %s at boot', (_name, overrides) => {
    expect(() => resolveNetworkConfig(overrides as Parameters<typeof resolveNetworkConfig>[0])).toThrow(TypeError);
  });
});
