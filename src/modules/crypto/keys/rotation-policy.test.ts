import { describe, expect, it } from 'vitest';

import { DEFAULT_ROTATION_POLICY, resolvePolicy, rotationDue } from './rotation-policy.js';

describe('rotation policy', () => {
  it('stays far below the 2^32 random-nonce bound by default', () => {
    expect(DEFAULT_ROTATION_POLICY.maxEncryptions).toBeLessThanOrEqual(2 ** 30);
    expect(DEFAULT_ROTATION_POLICY.rotateAfterEncryptions).toBeLessThan(DEFAULT_ROTATION_POLICY.maxEncryptions);
  });

  it('is due by usage, then by age', () => {
    const policy = resolvePolicy({ maxAgeMs: 1000, rotateAfterEncryptions: 10, maxEncryptions: 20 });
    expect(rotationDue({ createdAt: 0, usageCount: 9 }, policy, 999)).toBeUndefined();
    expect(rotationDue({ createdAt: 0, usageCount: 10 }, policy, 0)).toBe('usage');
    expect(rotationDue({ createdAt: 0, usageCount: 0 }, policy, 1000)).toBe('age');
  });

  it('refuses limits above 2^32 or inverted thresholds', () => {
    expect(() => resolvePolicy({ maxEncryptions: 2 ** 32 + 1 })).toThrow(RangeError);
    expect(() => resolvePolicy({ rotateAfterEncryptions: 10, maxEncryptions: 5 })).toThrow(RangeError);
  });
});
