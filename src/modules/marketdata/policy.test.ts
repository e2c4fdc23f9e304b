import { describe, expect, it } from 'vitest';
import { POLICY_DEFAULTS, effectiveQuorum, resolvePolicy } from './policy.js';

describe('resolvePolicy', () => {
  it('fills defaults and scales the bounds to 18 decimals', () => {
    const verdict = resolvePolicy('BTC-USD', { minPrice: '1000.50', maxPrice: '1000000', priceDecimals: 2 });
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.policy.minPrice).toBe(100_050n * 10n ** 16n);
    expect(verdict.policy.unit).toBe(10n ** 16n);
    expect(verdict.policy.quorum).toBe(POLICY_DEFAULTS.quorum);
    expect(verdict.policy.document).toMatchObject({ minPrice: '1000.5', maxPrice: '1000000', maxDeviationBps: 300, sourceStalenessMs: 5_000 });
  });

  it.each([
    [{ minPrice: '0', maxPrice: '10' }, 'minPrice'],
    [{ minPrice: '10', maxPrice: '10' }, 'maxPrice'],
    [{ minPrice: '1.001', maxPrice: '10', priceDecimals: 2 }, 'minPrice'],
    [{ minPrice: '1', maxPrice: '10', quorum: 0 }, 'quorum'],
    [{ minPrice: '1', maxPrice: '10', maxDeviationBps: 1.5 }, 'maxDeviationBps'],
    [{ minPrice: '1', maxPrice: '10', heartbeatMs: 6_000 }, 'heartbeatMs'],
    [{ minPrice: '1', maxPrice: '10', jumpMinBps: 2_000 }, 'jumpMinBps'],
    [{ minPrice: '1', maxPrice: '10', volatilityMinSamples: 300 }, 'volatilityMinSamples'],
    [{ minPrice: '1', maxPrice: '10', jumpZ: Number.NaN }, 'jumpZ'],
    [{ minPrice: '1', maxPrice: '10', restingOrdersOnHalt: 'drop' as 'keep' }, 'restingOrdersOnHalt'],
  ])('refuses %o naming %s', (input, field) => {
    expect(resolvePolicy('BTC-USD', input)).toMatchObject({ ok: false, field });
  });
});

describe('effectiveQuorum', () => {
  it('is at least a strict majority of the allowed sources', () => {
    expect(effectiveQuorum({ quorum: 3 }, 3)).toBe(3);
    expect(effectiveQuorum({ quorum: 3 }, 5)).toBe(3);
    expect(effectiveQuorum({ quorum: 2 }, 6)).toBe(4);
    expect(effectiveQuorum({ quorum: 1 }, 0)).toBe(1);
  });
});
