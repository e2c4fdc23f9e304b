/**
 * Price bands around the validated reference price (CME-style price banding): a limit order
 * must lie within ±band of the reference, and a market order becomes a limit order at the band
 * edge (its protection price), so no order can trade outside the band. Reference prices are
 * held at REFERENCE_SCALE digits so feed prices finer than the tick are compared exactly.
 */
import { parseDecimal } from '../../../lib/money/decimal.js';
import type { PriceStatus, ReferencePriceQuote } from '../../../lib/pricing/index.js';
import { ceilToTick, floorToTick, type Instrument } from '../instruments/instrument.js';
import type { Side } from '../matching/book.js';
import type { ReferencePrice } from './types.js';

export const REFERENCE_SCALE = 18;
const BPS = 10_000n;

/** Converts a port quote; a price that is not a positive decimal is treated as no price. */
export function toReferencePrice(quote: ReferencePriceQuote): ReferencePrice {
  if (quote.price === null) return { status: quote.status === 'ok' ? 'unknown' : quote.status, price: null };
  const parsed = parseDecimal(quote.price, REFERENCE_SCALE);
  if (!parsed.ok || parsed.value === 0n) return { status: 'unknown' as PriceStatus, price: null };
  return { status: quote.status, price: parsed.value };
}

const scaleUp = (instrument: Instrument) => 10n ** BigInt(REFERENCE_SCALE - instrument.priceScale);

/** Is `price` (instrument scale) within ±band of `reference` (REFERENCE_SCALE)? */
export function withinBand(instrument: Instrument, price: bigint, reference: bigint): boolean {
  const p = price * scaleUp(instrument);
  const distance = p > reference ? p - reference : reference - p;
  return distance * BPS <= reference * instrument.priceBandBps;
}

/** The worst price a market order may trade at: the band edge, rounded inward to a tick. */
export function protectionPrice(instrument: Instrument, side: Side, reference: bigint): bigint {
  const unit = scaleUp(instrument);
  if (side === 'buy') {
    const edge = (reference * (BPS + instrument.priceBandBps)) / BPS;
    return floorToTick(instrument, edge / unit);
  }
  const edge = reference * (BPS - instrument.priceBandBps);
  const atScale = edge / (BPS * unit) + (edge % (BPS * unit) === 0n ? 0n : 1n);
  const price = ceilToTick(instrument, atScale);
  return price > 0n ? price : instrument.tickSize;
}
