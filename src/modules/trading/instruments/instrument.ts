/**
 * Instruments and their integer arithmetic (SPEC §5; no floating point in money paths).
 *
 * Units: a price is an integer at the instrument's `priceScale` (quote per one whole base unit),
 * a quantity is in base minor units, a notional in quote minor units. Every order price is a
 * multiple of `tickSize` and every quantity a multiple of `lotSize`; the instrument invariant
 * `tickSize × lotSize ≡ 0 (mod notionalDivisor)` makes every notional exact, so the buyer pays
 * precisely what the seller receives and nothing is ever rounded.
 */

export type InstrumentStatus = 'trading' | 'halted';

export interface Instrument {
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  readonly baseScale: number;
  readonly quoteScale: number;
  readonly priceScale: number;
  readonly tickSize: bigint;
  readonly lotSize: bigint;
  readonly minQty: bigint;
  readonly maxQty: bigint;
  readonly minNotional: bigint;
  readonly priceBandBps: bigint;
  /** Default per-account limits (an admin may set others per account). */
  readonly maxOrderNotional: bigint;
  readonly maxPosition: bigint;
  readonly status: InstrumentStatus;
  /** 10^(priceScale + baseScale − quoteScale): price × quantity / divisor = quote minor units. */
  readonly notionalDivisor: bigint;
}

export type InstrumentSpec = Omit<Instrument, 'notionalDivisor'>;

/**
 * Builds an Instrument and checks its invariants. A misconfigured instrument is a programmer or
 * operator error found at boot, so it throws a TypeError naming the symbol.
 */
export function defineInstrument(spec: InstrumentSpec): Instrument {
  const fail = (why: string): never => {
    throw new TypeError(`instrument ${spec.symbol}: ${why}`);
  };
  const exponent = spec.priceScale + spec.baseScale - spec.quoteScale;
  if (exponent < 0) fail('quote scale exceeds price scale + base scale');
  const notionalDivisor = 10n ** BigInt(exponent);
  if (spec.tickSize <= 0n || spec.lotSize <= 0n) fail('tick and lot sizes must be positive');
  if ((spec.tickSize * spec.lotSize) % notionalDivisor !== 0n) fail('tick × lot is not a whole quote minor unit');
  if (spec.minQty <= 0n || spec.minQty % spec.lotSize !== 0n || spec.maxQty < spec.minQty || spec.maxQty % spec.lotSize !== 0n) {
    fail('min/max quantity must be positive multiples of the lot size');
  }
  if (spec.priceBandBps <= 0n || spec.priceBandBps >= 10_000n) fail('price band must be within (0, 100) %');
  return Object.freeze({ ...spec, notionalDivisor });
}

/** Quote minor units for `quantity` at `price` (exact for tick/lot multiples). */
export function notional(instrument: Instrument, price: bigint, quantity: bigint): bigint {
  return (price * quantity) / instrument.notionalDivisor;
}

/** True when `price × quantity` is a whole number of quote minor units (no rounding). */
export function isExactNotional(instrument: Instrument, price: bigint, quantity: bigint): boolean {
  return (price * quantity) % instrument.notionalDivisor === 0n;
}

/** The largest tick multiple ≤ price (never rounds a protection price outward). */
export function floorToTick(instrument: Instrument, price: bigint): bigint {
  return price - (price % instrument.tickSize);
}

/** The smallest tick multiple ≥ price. */
export function ceilToTick(instrument: Instrument, price: bigint): bigint {
  const rest = price % instrument.tickSize;
  return rest === 0n ? price : price + instrument.tickSize - rest;
}
