/**
 * Decimal strings ↔ scaled integers (SPEC §2: amounts and prices are decimal strings on the wire,
 * integer minor units inside; never floating point). `scale` is the number of fractional digits
 * the integer carries: parseDecimal("0.015", 8) = 1_500_000n.
 */

const DECIMAL = /^(0|[1-9][0-9]{0,29})(?:\.([0-9]{1,30}))?$/;

export type DecimalVerdict = { ok: true; value: bigint } | { ok: false; reason: 'format' | 'precision' | 'range' };

/**
 * Parses a non-negative decimal string exactly. Refuses exponents, signs, leading zeros, more
 * fractional digits than `scale` (no silent rounding) and more than 30 integer digits.
 */
export function parseDecimal(text: string, scale: number): DecimalVerdict {
  if (!Number.isInteger(scale) || scale < 0 || scale > 30) throw new TypeError('scale must be an integer 0..30');
  const match = DECIMAL.exec(text);
  if (!match) return { ok: false, reason: 'format' };
  const [, whole = '0', fraction = ''] = match;
  const trimmed = fraction.replace(/0+$/, '');
  if (trimmed.length > scale) return { ok: false, reason: 'precision' };
  const value = BigInt(whole + trimmed.padEnd(scale, '0'));
  if (value > 10n ** 36n) return { ok: false, reason: 'range' };
  return { ok: true, value };
}

/** Formats a non-negative scaled integer without trailing fractional zeros ("1.5", "0.015", "3"). */
export function formatDecimal(value: bigint, scale: number): string {
  if (value < 0n) return `-${formatDecimal(-value, scale)}`;
  if (scale === 0) return value.toString();
  const digits = value.toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  return fraction.length > 0 ? `${whole}.${fraction}` : whole;
}

/** JSON-schema pattern for the decimal strings `parseDecimal` may accept. */
export const DECIMAL_PATTERN = '^(0|[1-9][0-9]{0,29})(\\.[0-9]{1,30})?$';
