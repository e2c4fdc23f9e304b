import { createSecretKey } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { createDekCache, type CachedDek } from './dek-cache.js';

const entry = (version: number, expiresAt: number): CachedDek => ({
  keyId: 'k',
  version,
  aesKey: createSecretKey(Buffer.alloc(32, 1)),
  expiresAt,
  dek: Buffer.alloc(32, 0xaa),
  subkeys: new Map(),
});

describe('DEK cache', () => {
  it('zeroes a DEK when its TTL expires', () => {
    const cache = createDekCache(10);
    const e = entry(1, 1000);
    const dek = e.dek as Buffer;
    cache.set(e, 0);
    expect(cache.get('k', 1, 999)).toBe(e);
    expect(cache.get('k', 1, 1000)).toBeUndefined();
    expect(dek.every((b) => b === 0)).toBe(true);
    expect(e.dek).toBeUndefined();
  });

  it('evicts (and zeroes) the oldest entry beyond its bound', () => {
    const cache = createDekCache(2);
    const entries = [entry(1, 1e9), entry(2, 1e9), entry(3, 1e9)];
    const first = entries[0]!.dek as Buffer;
    for (const e of entries) cache.set(e, 0);
    expect(cache.size).toBe(2);
    expect(cache.get('k', 1, 0)).toBeUndefined();
    expect(first.every((b) => b === 0)).toBe(true);
    expect(cache.get('k', 3, 0)).toBe(entries[2]);
  });

  it('evicts by key and clears everything', () => {
    const cache = createDekCache(10);
    const a = entry(1, 1e9);
    cache.set(a, 0);
    cache.set({ ...entry(1, 1e9), keyId: 'other' }, 0);
    cache.evict('k');
    expect(cache.get('k', 1, 0)).toBeUndefined();
    expect(cache.size).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
