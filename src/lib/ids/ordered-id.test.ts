import { describe, expect, it } from 'vitest';

import { orderedId } from './ordered-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('orderedId (UUID version 7 layout)', () => {
  it('has the version 7 and RFC variant bits and carries the time in its first 48 bits', () => {
    const at = Date.UTC(2026, 11, 5, 1, 2, 3, 456);
    const id = orderedId(at);
    expect(id).toMatch(V7);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts by time as text (index order = insertion order across milliseconds)', () => {
    const ids = [0, 1, 255, 256, 1_700_000_000_000, 1_700_000_000_001, 2 ** 48 - 1].map((t) => orderedId(t));
    expect([...ids].sort()).toEqual(ids);
  });

  it('is random within one millisecond (74 random bits, never repeated in 100,000 draws)', () => {
    const seen = new Set(Array.from({ length: 100_000 }, () => orderedId(1_700_000_000_000)));
    expect(seen.size).toBe(100_000);
    for (const id of [...seen].slice(0, 100)) expect(id).toMatch(V7);
  });

  it('refuses times it cannot encode', () => {
    for (const bad of [-1, 2 ** 48, 1.5, Number.NaN]) expect(() => orderedId(bad)).toThrow(RangeError);
  });
});
