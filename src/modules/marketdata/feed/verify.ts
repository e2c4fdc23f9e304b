/**
 * Stateless verification of a signed price update (SPEC §6), as a pure function returning a
 * verdict: source known and active → Ed25519 signature (RFC 8032, over the RFC 8785 payload) →
 * symbol allowed → timestamp window → price precision and min/max bounds (Chainlink's
 * minAnswer/maxAnswer). The sequence and step checks need the source's previous observation and
 * run where that is read atomically (store/observations.ts).
 *
 * The signature is checked before anything the source could be blamed for: until it verifies,
 * the claimed `sourceId` is only a claim, so later rejections (symbol, time, sequence) are
 * attributed to the source in events only once `authenticated` is true.
 */
import { verify } from 'node:crypto';
import { parseDecimal } from '../../../lib/money/decimal.js';
import type { SymbolPolicy } from '../policy.js';
import type { PriceSource } from './source.js';
import { canonicalPayload, type SignedPriceUpdate } from './update.js';

export type RejectCode =
  | 'PRICE_SOURCE_UNKNOWN'
  | 'PRICE_SIGNATURE_INVALID'
  | 'PRICE_SYMBOL_FORBIDDEN'
  | 'PRICE_TIMESTAMP_STALE'
  | 'PRICE_TIMESTAMP_FUTURE'
  | 'PRICE_SEQUENCE_REPLAYED'
  | 'PRICE_OUT_OF_BOUNDS';

export type Rejection = { ok: false; code: RejectCode; detail: string; authenticated: boolean };
export type UpdateVerdict = { ok: true; price: bigint } | Rejection;

export interface VerifyContext {
  source: PriceSource | undefined;
  policy: SymbolPolicy | undefined;
  now: number;
}

const reject = (code: RejectCode, detail: string, authenticated: boolean): Rejection => ({ ok: false, code, detail, authenticated });

/** Ed25519 over the canonical payload; malformed signatures are simply invalid. */
export function verifyUpdateSignature(update: SignedPriceUpdate, source: PriceSource): boolean {
  const signature = Buffer.from(update.signature, 'base64');
  if (signature.length !== 64) return false;
  try {
    return verify(null, canonicalPayload(update), source.publicKey, signature);
  } catch {
    return false;
  }
}

export function verifyPriceUpdate(update: SignedPriceUpdate, ctx: VerifyContext): UpdateVerdict {
  const { source, policy, now } = ctx;
  if (!source || source.status !== 'active') return reject('PRICE_SOURCE_UNKNOWN', 'No active price source with that id.', false);
  if (!verifyUpdateSignature(update, source)) return reject('PRICE_SIGNATURE_INVALID', 'The signature does not verify under the source key.', false);
  // A symbol without a policy cannot be validated, so it is as forbidden as an unlisted one.
  if (!source.symbols.has(update.symbol) || !policy) {
    return reject('PRICE_SYMBOL_FORBIDDEN', `Source ${update.sourceId} may not publish ${update.symbol}.`, true);
  }
  if (update.timestamp > now + policy.maxFutureSkewMs) {
    return reject('PRICE_TIMESTAMP_FUTURE', `timestamp is more than ${policy.maxFutureSkewMs} ms ahead of the server clock.`, true);
  }
  if (update.timestamp < now - policy.sourceStalenessMs) {
    return reject('PRICE_TIMESTAMP_STALE', `timestamp is more than ${policy.sourceStalenessMs} ms old.`, true);
  }
  const parsed = parseDecimal(update.price, policy.priceDecimals);
  if (!parsed.ok) return reject('PRICE_OUT_OF_BOUNDS', `price must have at most ${policy.priceDecimals} fractional digits.`, true);
  const price = parsed.value * policy.unit;
  if (price < policy.minPrice || price > policy.maxPrice) {
    return reject('PRICE_OUT_OF_BOUNDS', `price is outside the bounds of ${update.symbol}.`, true);
  }
  return { ok: true, price };
}

/**
 * SPEC §6 "maximum step change per update": compares against the source's own previous price
 * while that is fresh, else against the current reference (if any). Pure; exact integer bps.
 */
export function checkStep(price: bigint, previous: bigint | null, policy: Pick<SymbolPolicy, 'maxStepBps'>): Rejection | null {
  if (previous === null || previous <= 0n) return null;
  const delta = price > previous ? price - previous : previous - price;
  if (delta * 10_000n > BigInt(policy.maxStepBps) * previous) {
    return reject('PRICE_OUT_OF_BOUNDS', `price moved more than ${policy.maxStepBps} bps in one update.`, true);
  }
  return null;
}

/** A newer update may not claim an earlier time than the source's previous one. */
export function checkTimeOrder(timestamp: number, previous: number | null): Rejection | null {
  if (previous !== null && timestamp < previous) {
    return reject('PRICE_TIMESTAMP_STALE', 'timestamp precedes the source\'s previous update.', true);
  }
  return null;
}

/** Sequences strictly increase per (source, symbol); equal or lower is a replay. */
export function checkSequence(sequence: number, previous: number | null): Rejection | null {
  if (previous !== null && sequence <= previous) {
    return reject('PRICE_SEQUENCE_REPLAYED', `sequence must exceed ${previous}.`, true);
  }
  return null;
}
