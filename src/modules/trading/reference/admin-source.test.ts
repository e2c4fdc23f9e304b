import { describe, expect, it } from 'vitest';
import type { ReferencePriceQuote, ReferencePriceSource } from '../../../lib/pricing/index.js';
import { combineReferenceSources } from './admin-source.js';

const source = (quote: Omit<ReferencePriceQuote, 'symbol'>): ReferencePriceSource => ({ quote: async (symbol) => ({ symbol, ...quote }) });
const admin = source({ price: '100', status: 'ok', updatedAt: 1 });

describe('combineReferenceSources', () => {
  it('uses the admin price only for symbols the feed does not know', async () => {
    expect(await combineReferenceSources(source({ price: null, status: 'unknown', updatedAt: null }), admin).quote('X')).toMatchObject({ price: '100', status: 'ok' });
    expect(await combineReferenceSources(source({ price: '101', status: 'ok', updatedAt: 2 }), admin).quote('X')).toMatchObject({ price: '101' });
    expect(await combineReferenceSources(undefined, admin).quote('X')).toMatchObject({ price: '100' });
  });

  it.each(['stale', 'halted'] as const)('never replaces a %s feed with the admin price (that would widen the band)', async (status) => {
    expect(await combineReferenceSources(source({ price: '90', status, updatedAt: 1 }), admin).quote('X')).toMatchObject({ status, price: '90' });
  });
});
