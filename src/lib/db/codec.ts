/**
 * Conversions for the storage integer convention: booleans as bigint 0/1, times as bigint Unix
 * milliseconds. Both dialects hand integers back as `bigint`, so these are the only places a
 * stored integer becomes a JS `number` or `boolean`.
 */

/** Stores a boolean as bigint 0/1. */
export function toDbBool(value: boolean): bigint {
  return value ? 1n : 0n;
}

/** Reads a bigint 0/1 column; anything other than 0 or 1 is corrupt data, not `true`. */
export function fromDbBool(value: bigint): boolean {
  if (value === 1n) return true;
  if (value === 0n) return false;
  throw new TypeError(`expected a stored boolean (0 or 1), got ${String(value)}`);
}

/** Stores a Unix-millisecond time (e.g. `clock.now()`); it must be a safe integer. */
export function toDbTime(ms: number): bigint {
  if (!Number.isSafeInteger(ms)) throw new TypeError(`time must be integer milliseconds, got ${String(ms)}`);
  return BigInt(ms);
}

/** Reads a bigint Unix-millisecond column back into a JS number. */
export function fromDbTime(value: bigint): number {
  const ms = Number(value);
  if (!Number.isSafeInteger(ms)) throw new TypeError(`stored time ${String(value)} is out of range`);
  return ms;
}
