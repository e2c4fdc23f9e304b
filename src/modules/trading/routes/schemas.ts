/** JSON schemas of the trading routes: bounded strings, decimal-string amounts, no extra fields. */
import { DECIMAL_PATTERN } from '../../../lib/money/decimal.js';

export const decimal = { type: 'string', pattern: DECIMAL_PATTERN, minLength: 1, maxLength: 64 } as const;
export const signedDecimal = { type: 'string', pattern: '^-?(0|[1-9][0-9]{0,29})(\\.[0-9]{1,30})?$', maxLength: 65 } as const;
export const symbol = { type: 'string', pattern: '^[A-Z0-9]{1,10}-[A-Z0-9]{1,10}$', maxLength: 21 } as const;
export const asset = { type: 'string', pattern: '^[A-Z0-9]{1,10}$', maxLength: 10 } as const;
export const uuid = { type: 'string', format: 'uuid', maxLength: 36 } as const;
export const reason = { type: 'string', minLength: 1, maxLength: 500 } as const;
export const dateTime = { type: 'string', format: 'date-time' } as const;

export function object(properties: Record<string, unknown>, required: readonly string[]) {
  return { type: 'object', additionalProperties: false, required: [...required], properties } as const;
}

export const fillSchema = object({
  tradeId: { type: 'string' }, price: decimal, quantity: decimal, liquidity: { type: 'string', enum: ['maker', 'taker'] }, time: dateTime,
}, ['tradeId', 'price', 'quantity', 'liquidity', 'time']);

export const orderSchema = object({
  orderId: { type: 'string' }, clientOrderId: { type: 'string' }, symbol: { type: 'string' }, side: { type: 'string' }, type: { type: 'string' },
  timeInForce: { type: 'string' }, postOnly: { type: 'boolean' }, price: { type: ['string', 'null'] }, quantity: decimal,
  filledQuantity: decimal, remainingQuantity: decimal, status: { type: 'string' }, cancelReason: { type: ['string', 'null'] },
  createdAt: dateTime, updatedAt: dateTime, fills: { type: 'array', items: fillSchema },
}, ['orderId', 'clientOrderId', 'symbol', 'side', 'type', 'timeInForce', 'postOnly', 'price', 'quantity', 'filledQuantity', 'remainingQuantity', 'status', 'cancelReason', 'createdAt', 'updatedAt', 'fills']);

export const placeOrderBody = object({
  clientOrderId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$', maxLength: 64 },
  symbol,
  side: { type: 'string', enum: ['buy', 'sell'] },
  type: { type: 'string', enum: ['limit', 'market'] },
  quantity: decimal,
  price: decimal,
  timeInForce: { type: 'string', enum: ['GTC', 'IOC', 'FOK'] },
  postOnly: { type: 'boolean' },
}, ['clientOrderId', 'symbol', 'side', 'type', 'quantity', 'timeInForce']);

export const balanceSchema = object({ asset: { type: 'string' }, total: decimal, available: decimal, reserved: decimal }, ['asset', 'total', 'available', 'reserved']);

export const instrumentSchema = object({
  symbol: { type: 'string' }, base: { type: 'string' }, quote: { type: 'string' }, tickSize: decimal, lotSize: decimal, minQty: decimal,
  maxQty: decimal, minNotional: decimal, priceBandPct: decimal, status: { type: 'string' },
}, ['symbol', 'base', 'quote', 'tickSize', 'lotSize', 'minQty', 'maxQty', 'minNotional', 'priceBandPct', 'status']);

const symbolLimits = object({ maxOrderQuantity: decimal, maxOrderNotional: decimal, maxPosition: decimal }, []);

export const riskLimitsBody = object({
  maxOrdersPerSecond: { type: 'integer', minimum: 1, maximum: 100_000 },
  selfTradePrevention: { type: 'string', enum: ['reject', 'cancel-resting'] },
  symbols: { type: 'object', maxProperties: 100, propertyNames: symbol, additionalProperties: symbolLimits },
}, []);

export const riskLimitsResponse = object({
  userId: { type: 'string' },
  maxOrdersPerSecond: { type: 'integer' },
  selfTradePrevention: { type: 'string' },
  symbols: { type: 'object', additionalProperties: object({ maxOrderQuantity: decimal, maxOrderNotional: decimal, maxPosition: decimal }, ['maxOrderQuantity', 'maxOrderNotional', 'maxPosition']) },
}, ['userId', 'maxOrdersPerSecond', 'selfTradePrevention', 'symbols']);

const withdrawalFields = {
  withdrawalId: { type: 'string' }, asset: { type: 'string' }, amount: decimal, addressId: { type: 'string' }, status: { type: 'string' },
  screening: { type: 'string' }, holdReason: { type: ['string', 'null'] }, statusReason: { type: ['string', 'null'] }, txId: { type: ['string', 'null'] },
  createdAt: dateTime, updatedAt: dateTime,
} as const;
const withdrawalRequired = ['withdrawalId', 'asset', 'amount', 'addressId', 'status', 'screening', 'holdReason', 'statusReason', 'txId', 'createdAt', 'updatedAt'];
export const withdrawalSchema = object(withdrawalFields, withdrawalRequired);
/** The admin view adds the owner, the destination and the payout attempts (review, manual payout). */
export const adminWithdrawalSchema = object({
  ...withdrawalFields, userId: { type: 'string' }, address: { type: ['string', 'null'] },
  payoutAttempts: { type: 'integer' }, payoutNextAttemptAt: { type: ['string', 'null'], format: 'date-time' }, payoutFlaggedAt: { type: ['string', 'null'], format: 'date-time' },
}, [...withdrawalRequired, 'userId', 'address', 'payoutAttempts', 'payoutNextAttemptAt', 'payoutFlaggedAt']);

/** A caller-chosen idempotency key: a bank reference, a ticket id, a UUID. */
export const depositId = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$', maxLength: 64 } as const;
/** A chain transaction id (hex, base58, …). */
export const txId = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$', maxLength: 128 } as const;

/** Chain addresses (base58, bech32, 0x-hex, …): one token of safe characters, never markup. */
export const chainAddress = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9:._-]{9,127}$', maxLength: 128 } as const;

export const addressSchema = object({
  addressId: { type: 'string' }, asset: { type: 'string' }, address: { type: 'string' }, label: { type: 'string' },
  createdAt: dateTime, activatesAt: dateTime, active: { type: 'boolean' },
}, ['addressId', 'asset', 'address', 'label', 'createdAt', 'activatesAt', 'active']);
