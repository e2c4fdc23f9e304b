import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolvePolicy, type SymbolPolicy } from '../policy.js';
import { keyFingerprint, parseSourcePublicKey, type PriceSource } from './source.js';
import { canonicalPayload, parseSignedUpdate, signPriceUpdate, type PriceUpdatePayload } from './update.js';
import { checkSequence, checkStep, checkTimeOrder, verifyPriceUpdate } from './verify.js';

const NOW = 1_767_225_600_000;
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
const source: PriceSource = {
  sourceId: 'feed-a', publicKeyPem: pem, publicKey: parseSourcePublicKey(pem)!, symbols: new Set(['BTC-USD']),
  status: 'active', createdBy: 'admin', createdAt: 0, revokedAt: null,
};
const resolved = resolvePolicy('BTC-USD', { minPrice: '1000', maxPrice: '1000000', priceDecimals: 2 });
if (!resolved.ok) throw new Error('policy');
const policy: SymbolPolicy = resolved.policy;
const payload: PriceUpdatePayload = { sourceId: 'feed-a', symbol: 'BTC-USD', price: '50000.25', timestamp: NOW, sequence: 7 };
const ctx = { source, policy, now: NOW };

describe('canonical payload (RFC 8785)', () => {
  it('is the sorted, whitespace-free JSON of exactly the five fields', () => {
    expect(canonicalPayload(payload).toString()).toBe(`{"price":"50000.25","sequence":7,"sourceId":"feed-a","symbol":"BTC-USD","timestamp":${NOW}}`);
    const withExtras = { ...payload, signature: 'x', extra: 1 } as PriceUpdatePayload;
    expect(canonicalPayload(withExtras).equals(canonicalPayload(payload))).toBe(true);
  });

  it('is what signPriceUpdate signs, so an independent Ed25519 verifier accepts it', () => {
    const signed = signPriceUpdate(payload, privateKey);
    const bytes = Buffer.from(JSON.stringify({ price: payload.price, sequence: 7, sourceId: 'feed-a', symbol: 'BTC-USD', timestamp: NOW }));
    expect(verify(null, bytes, publicKey, Buffer.from(signed.signature, 'base64'))).toBe(true);
  });
});

describe('parseSignedUpdate (pull-side shape check)', () => {
  const signed = signPriceUpdate(payload, privateKey);
  it('accepts exactly the six fields with their wire types', () => {
    expect(parseSignedUpdate(JSON.parse(JSON.stringify(signed)))).toEqual(signed);
  });
  it.each([
    ['extra field', { ...signed, extra: 1 }],
    ['numeric price', { ...signed, price: 50000.25 }],
    ['exponent price', { ...signed, price: '5e4' }],
    ['negative sequence', { ...signed, sequence: -1 }],
    ['fractional timestamp', { ...signed, timestamp: NOW + 0.5 }],
    ['short signature', { ...signed, signature: 'AAAA' }],
    ['lower-case symbol', { ...signed, symbol: 'btc-usd' }],
    ['array', [signed]],
    ['prototype key', JSON.parse(`{"__proto__":{"x":1},"sourceId":"feed-a","symbol":"BTC-USD","price":"1","timestamp":1,"sequence":1}`)],
  ])('refuses %s', (_name, value) => {
    expect(parseSignedUpdate(value)).toBeNull();
  });
});

describe('verifyPriceUpdate', () => {
  const signed = signPriceUpdate(payload, privateKey);

  it('accepts a valid update and returns the price at 18 decimals', () => {
    expect(verifyPriceUpdate(signed, ctx)).toEqual({ ok: true, price: 5_000_025n * 10n ** 16n });
  });

  it.each([
    ['an unknown source', signed, { ...ctx, source: undefined }, 'PRICE_SOURCE_UNKNOWN', false],
    ['a revoked source', signed, { ...ctx, source: { ...source, status: 'revoked' as const } }, 'PRICE_SOURCE_UNKNOWN', false],
    ['a signature by another key', signPriceUpdate(payload, other.privateKey), ctx, 'PRICE_SIGNATURE_INVALID', false],
    ['a tampered price', { ...signed, price: '60000' }, ctx, 'PRICE_SIGNATURE_INVALID', false],
    ['a tampered sequence', { ...signed, sequence: 8 }, ctx, 'PRICE_SIGNATURE_INVALID', false],
    ['a symbol not allowed', signPriceUpdate({ ...payload, symbol: 'ETH-USD' }, privateKey), ctx, 'PRICE_SYMBOL_FORBIDDEN', true],
    ['a timestamp beyond the future skew', signPriceUpdate({ ...payload, timestamp: NOW + 1_001 }, privateKey), ctx, 'PRICE_TIMESTAMP_FUTURE', true],
    ['a timestamp beyond the staleness window', signPriceUpdate({ ...payload, timestamp: NOW - 5_001 }, privateKey), ctx, 'PRICE_TIMESTAMP_STALE', true],
    ['too many decimals', signPriceUpdate({ ...payload, price: '50000.001' }, privateKey), ctx, 'PRICE_OUT_OF_BOUNDS', true],
    ['a price below minPrice', signPriceUpdate({ ...payload, price: '999.99' }, privateKey), ctx, 'PRICE_OUT_OF_BOUNDS', true],
    ['a price above maxPrice', signPriceUpdate({ ...payload, price: '1000000.01' }, privateKey), ctx, 'PRICE_OUT_OF_BOUNDS', true],
  ])('rejects %s', (_name, update, context, code, authenticated) => {
    expect(verifyPriceUpdate(update, context)).toMatchObject({ ok: false, code, authenticated });
  });

  it('accepts timestamps exactly at the edges of the window', () => {
    expect(verifyPriceUpdate(signPriceUpdate({ ...payload, timestamp: NOW + 1_000 }, privateKey), ctx).ok).toBe(true);
    expect(verifyPriceUpdate(signPriceUpdate({ ...payload, timestamp: NOW - 5_000 }, privateKey), ctx).ok).toBe(true);
  });

  it('checks sequences strictly, time order, and steps exactly in bps', () => {
    expect(checkSequence(7, 7)).toMatchObject({ code: 'PRICE_SEQUENCE_REPLAYED' });
    expect(checkSequence(6, 7)).toMatchObject({ code: 'PRICE_SEQUENCE_REPLAYED' });
    expect(checkSequence(8, 7)).toBeNull();
    expect(checkSequence(0, null)).toBeNull();
    expect(checkStep(11_000n, 10_000n, { maxStepBps: 1_000 })).toBeNull();
    expect(checkStep(11_001n, 10_000n, { maxStepBps: 1_000 })).toMatchObject({ code: 'PRICE_OUT_OF_BOUNDS' });
    expect(checkStep(8_999n, 10_000n, { maxStepBps: 1_000 })).toMatchObject({ code: 'PRICE_OUT_OF_BOUNDS' });
    expect(checkStep(1n, null, { maxStepBps: 1 })).toBeNull();
    expect(checkTimeOrder(99, 100)).toMatchObject({ code: 'PRICE_TIMESTAMP_STALE' });
    expect(checkTimeOrder(100, 100)).toBeNull();
    expect(checkTimeOrder(5, null)).toBeNull();
  });
});

describe('source keys', () => {
  it('accepts only Ed25519 SubjectPublicKeyInfo PEM', () => {
    expect(parseSourcePublicKey(pem)).not.toBeNull();
    expect(keyFingerprint(parseSourcePublicKey(pem)!)).toMatch(/^[0-9a-f]{64}$/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(parseSourcePublicKey(ec)).toBeNull();
    expect(parseSourcePublicKey(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString())).toBeNull();
    expect(parseSourcePublicKey(`${pem}${pem}`)).toBeNull();
    expect(parseSourcePublicKey('not a key')).toBeNull();
  });
});
