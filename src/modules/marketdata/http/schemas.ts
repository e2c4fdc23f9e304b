/**
 * JSON schemas of the market-data routes: bounded strings, `additionalProperties: false` on
 * every object in and out (so nothing unplanned can leave, e.g. a source's PEM in a listing).
 */
import { DECIMAL_PATTERN } from '../../../lib/money/decimal.js';
import { SOURCE_ID_PATTERN, SYMBOL_PATTERN } from '../feed/update.js';
import { POLICY_LIMITS } from '../policy.js';

export const symbolParams = {
  type: 'object', additionalProperties: false, required: ['symbol'],
  properties: { symbol: { type: 'string', minLength: 3, maxLength: 33, pattern: SYMBOL_PATTERN } },
} as const;

export const sourceParams = {
  type: 'object', additionalProperties: false, required: ['sourceId'],
  properties: { sourceId: { type: 'string', minLength: 1, maxLength: 64, pattern: SOURCE_ID_PATTERN } },
} as const;

const STATUS = { type: 'string', enum: ['ok', 'stale', 'halted', 'unknown'] } as const;
const decimal = { type: 'string', minLength: 1, maxLength: 61, pattern: DECIMAL_PATTERN } as const;

export const acceptedSchema = {
  type: 'object', additionalProperties: false, required: ['accepted', 'sourceId', 'symbol', 'sequence', 'status'],
  properties: {
    accepted: { type: 'boolean' }, sourceId: { type: 'string' }, symbol: { type: 'string' }, sequence: { type: 'integer' }, status: STATUS,
  },
} as const;

export const priceViewSchema = {
  type: 'object', additionalProperties: false, required: ['symbol', 'price', 'status', 'updatedAt', 'quorum', 'sources'],
  properties: {
    symbol: { type: 'string' },
    price: { type: ['string', 'null'] },
    status: STATUS,
    updatedAt: { type: ['integer', 'null'] },
    quorum: { type: 'integer' },
    sources: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['sourceId', 'price', 'timestamp', 'state'],
        properties: {
          sourceId: { type: 'string' }, price: { type: 'string' }, timestamp: { type: 'integer' },
          state: { type: 'string', enum: ['used', 'excluded', 'stale', 'flatline'] },
        },
      },
    },
  },
} as const;

export const registerSourceBody = {
  type: 'object', additionalProperties: false, required: ['sourceId', 'publicKey', 'symbols'],
  properties: {
    sourceId: sourceParams.properties.sourceId,
    publicKey: { type: 'string', minLength: 60, maxLength: 300 },
    symbols: { type: 'array', minItems: 1, maxItems: 64, uniqueItems: true, items: symbolParams.properties.symbol },
  },
} as const;

export const sourceSchema = {
  type: 'object', additionalProperties: false, required: ['sourceId', 'symbols', 'status', 'keyFingerprint', 'createdAt', 'revokedAt'],
  properties: {
    sourceId: { type: 'string' },
    symbols: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: ['active', 'revoked'] },
    keyFingerprint: { type: 'string' },
    createdAt: { type: 'integer' },
    revokedAt: { type: ['integer', 'null'] },
  },
} as const;

const limits = Object.fromEntries(Object.entries(POLICY_LIMITS).map(([field, [minimum, maximum]]) =>
  [field, { type: field === 'jumpZ' ? 'number' : 'integer', minimum, maximum }]));

export const policyBody = {
  type: 'object', additionalProperties: false, required: ['minPrice', 'maxPrice'],
  properties: {
    minPrice: decimal,
    maxPrice: decimal,
    ...limits,
    restingOrdersOnHalt: { type: 'string', enum: ['keep', 'cancel'] },
  },
} as const;

export const policySchema = {
  type: 'object', additionalProperties: false, required: ['symbol', 'version', 'policy'],
  properties: {
    symbol: { type: 'string' },
    version: { type: 'integer' },
    policy: { ...policyBody, required: [...policyBody.required, ...Object.keys(POLICY_LIMITS), 'restingOrdersOnHalt'] },
  },
} as const;

export const resumeBody = {
  type: 'object', additionalProperties: false, required: ['reason'],
  properties: { reason: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export const resumeSchema = {
  type: 'object', additionalProperties: false, required: ['symbol', 'status'],
  properties: { symbol: { type: 'string' }, status: STATUS },
} as const;
