/**
 * Integer medians and deviations for the reference price (no floating point in price paths).
 */

/**
 * Median of positive scaled prices. For an even count the mean of the two middle values,
 * rounded half-up to a multiple of `unit` (the symbol's published precision) and clamped to the
 * two middle values, so the result always lies between them — and therefore between the minimum
 * and maximum of the inputs.
 */
export function medianPrice(prices: readonly bigint[], unit = 1n): bigint {
  if (prices.length === 0) throw new TypeError('median of no prices');
  if (unit <= 0n) throw new TypeError('unit must be positive');
  const sorted = [...prices].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = sorted.length >> 1;
  const upper = sorted[mid] as bigint;
  if (sorted.length % 2 === 1) return upper;
  const lower = sorted[mid - 1] as bigint;
  const sum = lower + upper;
  const rounded = ((sum + unit) / (2n * unit)) * unit;
  return rounded < lower ? lower : rounded > upper ? upper : rounded;
}

/** True when |price − reference| exceeds `bps` basis points of the reference (exact). */
export function deviatesBeyond(price: bigint, reference: bigint, bps: number): boolean {
  const delta = price > reference ? price - reference : reference - price;
  return delta * 10_000n > BigInt(bps) * reference;
}

/** |price − reference| in whole basis points of the reference (floor), for events and metrics. */
export function deviationBps(price: bigint, reference: bigint): number {
  if (reference <= 0n) return 0;
  const delta = price > reference ? price - reference : reference - price;
  const bps = (delta * 10_000n) / reference;
  return bps > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(bps);
}
