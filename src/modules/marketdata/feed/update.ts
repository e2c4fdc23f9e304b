/**
 * The signed price update of SPEC §6: `{sourceId, symbol, price, timestamp, sequence, signature}`
 * where `signature` is the base64 Ed25519 signature (RFC 8032) over the RFC 8785 canonical JSON of
 * the other five fields. The same shape arrives pushed (POST /v1/market-data/prices) or pulled
 * (feed/puller.ts), so its wire constraints live here once: the route schema and the pull-side
 * guard are both built from them.
 */
import { sign, type KeyObject } from 'node:crypto';
import canonicalizeImport from 'canonicalize';
import { DECIMAL_PATTERN } from '../../../lib/money/decimal.js';

// `canonicalize` ships CommonJS whose typings declare an ES default export; under NodeNext the
// default import is the function itself.
const canonicalize = canonicalizeImport as unknown as (input: unknown) => string | undefined;

export const SOURCE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const SYMBOL = /^[A-Z0-9]{1,16}-[A-Z0-9]{1,16}$/;
/** Exactly 64 bytes of standard, padded base64. */
const SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;
export const SOURCE_ID_PATTERN = SOURCE_ID.source;
export const SYMBOL_PATTERN = SYMBOL.source;
export const SIGNATURE_PATTERN = SIGNATURE.source;
export const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;
/** Timestamps are Unix ms; this bound only keeps them safe integers (freshness is checked later). */
export const MAX_TIMESTAMP = 8_640_000_000_000_000;

export interface PriceUpdatePayload {
  sourceId: string;
  symbol: string;
  /** Decimal string (SPEC §2), never a JSON number. */
  price: string;
  /** Unix milliseconds at the source. */
  timestamp: number;
  /** Strictly increasing per (sourceId, symbol). */
  sequence: number;
}

export interface SignedPriceUpdate extends PriceUpdatePayload {
  signature: string;
}

/** JSON schema of a signed update (route body and pull-side validation). */
export const signedUpdateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sourceId', 'symbol', 'price', 'timestamp', 'sequence', 'signature'],
  properties: {
    sourceId: { type: 'string', minLength: 1, maxLength: 64, pattern: SOURCE_ID_PATTERN },
    symbol: { type: 'string', minLength: 3, maxLength: 33, pattern: SYMBOL_PATTERN },
    price: { type: 'string', minLength: 1, maxLength: 61, pattern: DECIMAL_PATTERN },
    timestamp: { type: 'integer', minimum: 0, maximum: MAX_TIMESTAMP },
    sequence: { type: 'integer', minimum: 0, maximum: MAX_SEQUENCE },
    signature: { type: 'string', minLength: 88, maxLength: 88, pattern: SIGNATURE_PATTERN },
  },
} as const;

// The shared decimal pattern is a fixed constant of src/lib/money, not input.
// eslint-disable-next-line security/detect-non-literal-regexp
const DECIMAL = new RegExp(DECIMAL_PATTERN);
const FIELDS = Object.keys(signedUpdateSchema.properties);

/**
 * The pull-side equivalent of the route schema: a pulled document is untrusted input too. Returns
 * the update, or null when the value is not exactly a well-formed signed update.
 */
export function parseSignedUpdate(value: unknown): SignedPriceUpdate | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v);
  if (keys.length !== FIELDS.length || !keys.every((k) => FIELDS.includes(k))) return null;
  const { sourceId, symbol, price, timestamp, sequence, signature } = v;
  if (typeof sourceId !== 'string' || sourceId.length > 64 || !SOURCE_ID.test(sourceId)) return null;
  if (typeof symbol !== 'string' || symbol.length > 33 || !SYMBOL.test(symbol)) return null;
  if (typeof price !== 'string' || price.length > 61 || !DECIMAL.test(price)) return null;
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp > MAX_TIMESTAMP) return null;
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0) return null;
  if (typeof signature !== 'string' || !SIGNATURE.test(signature)) return null;
  return { sourceId, symbol, price, timestamp, sequence, signature };
}

/**
 * The signed bytes: RFC 8785 canonical JSON of exactly the five payload fields. Built from named
 * fields, so neither `signature` nor any extra member can ever slip into the signed message.
 */
export function canonicalPayload(update: PriceUpdatePayload): Buffer {
  const text = canonicalize({
    sourceId: update.sourceId,
    symbol: update.symbol,
    price: update.price,
    timestamp: update.timestamp,
    sequence: update.sequence,
  });
  if (text === undefined) throw new TypeError('price update payload is not serialisable');
  return Buffer.from(text, 'utf8');
}

/** Signs a payload with a source's Ed25519 private key (simulator, pull sources, tests). */
export function signPriceUpdate(payload: PriceUpdatePayload, privateKey: KeyObject): SignedPriceUpdate {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('price sources sign with Ed25519');
  const signature = sign(null, canonicalPayload(payload), privateKey).toString('base64');
  return { ...payload, signature };
}
