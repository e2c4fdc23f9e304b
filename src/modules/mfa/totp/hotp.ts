/**
 * HOTP (RFC 4226) and TOTP (RFC 6238) as pure functions over node:crypto HMAC. An OTP is a
 * construction on top of HMAC (dynamic truncation of HMAC(K, counter)), not a primitive; see
 * docs/mfa.md for why this is not a third-party library. Checked against the RFC vectors in
 * ../shared/vectors and against Debian's oathtool.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type OtpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

const HMAC_NAME: Record<OtpAlgorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

export interface TotpParams {
  /** Code length, 6–8 (RFC 4226 §5.3 allows 6 to 8; more digits than 31 bits can't carry). */
  digits: number;
  /** Time step X in seconds (RFC 6238 default 30). */
  periodS: number;
  algorithm: OtpAlgorithm;
  /** T0, Unix seconds; RFC 6238 default 0. */
  t0S?: number;
}

function assertDigits(digits: number): void {
  if (!Number.isInteger(digits) || digits < 6 || digits > 8) throw new TypeError('OTP digits must be 6, 7 or 8');
}

/** RFC 4226 §5.3: HOTP(K, C) = Truncate(HMAC(K, C)) mod 10^digits, zero-padded. */
export function hotp(secret: Uint8Array, counter: bigint, digits = 6, algorithm: OtpAlgorithm = 'SHA1'): string {
  assertDigits(digits);
  if (counter < 0n || counter > 0xffff_ffff_ffff_ffffn) throw new TypeError('HOTP counter must fit in 64 bits');
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(counter);
  const mac = createHmac(HMAC_NAME[algorithm], secret).update(message).digest();
  // Dynamic truncation: the low nibble of the last byte picks 4 bytes; the top bit is masked
  // so the result is the same on signed and unsigned arithmetic.
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** RFC 6238 §4.2: T = floor((unixtime − T0) / X). */
export function totpStep(nowMs: number, periodS: number, t0S = 0): bigint {
  if (!Number.isInteger(periodS) || periodS <= 0) throw new TypeError('TOTP period must be a positive integer');
  return BigInt(Math.floor((Math.floor(nowMs / 1000) - t0S) / periodS));
}

export function totp(secret: Uint8Array, nowMs: number, params: TotpParams): string {
  return hotp(secret, totpStep(nowMs, params.periodS, params.t0S), params.digits, params.algorithm);
}

/**
 * Finds the time step whose code equals `code`, looking `window` steps either side of now
 * (RFC 6238 §5.2 resynchronisation). Every candidate is computed and compared in constant time,
 * so timing does not reveal which step matched. Returns the matching step, or null.
 */
export function matchTotp(secret: Uint8Array, code: string, nowMs: number, params: TotpParams & { window: number }): bigint | null {
  if (!Number.isInteger(params.window) || params.window < 0 || params.window > 10) throw new TypeError('TOTP window must be 0..10');
  const presented = Buffer.from(code, 'utf8');
  const current = totpStep(nowMs, params.periodS, params.t0S);
  let matched: bigint | null = null;
  for (let delta = -params.window; delta <= params.window; delta++) {
    const step = current + BigInt(delta);
    if (step < 0n) continue;
    const expected = Buffer.from(hotp(secret, step, params.digits, params.algorithm), 'utf8');
    const equal = presented.length === expected.length && timingSafeEqual(presented, expected);
    if (equal && matched === null) matched = step;
  }
  return matched;
}
