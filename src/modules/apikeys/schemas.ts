/**
 * JSON schemas of the API-key routes: bounded strings, no unknown fields, and response schemas
 * that name every field, so nothing but the one-time `secret` of a creation can leave.
 */
import { MAX_ALLOWLIST_ENTRIES } from './validate.js';

const scope = { type: 'string', enum: ['read', 'trade', 'withdraw'] } as const;
const algorithm = { type: 'string', enum: ['ed25519', 'hmac-sha256'] } as const;
const scopes = { type: 'array', minItems: 1, maxItems: 3, uniqueItems: true, items: scope } as const;
/** Entries are parsed and canonicalised in validate.ts; the schema bounds the work. */
const ipAllowlist = { type: 'array', maxItems: MAX_ALLOWLIST_ENTRIES, items: { type: 'string', minLength: 2, maxLength: 49 } } as const;
/** Printable text without control characters. */
const label = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$' } as const;

export const newApiKeyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['label', 'scopes', 'ipAllowlist', 'algorithm'],
  properties: {
    label,
    scopes,
    ipAllowlist,
    expiresAt: { type: 'string', format: 'date-time', maxLength: 40 },
    algorithm,
    publicKey: { type: 'string', minLength: 1, maxLength: 1000 },
  },
} as const;

const keyProperties = {
  keyId: { type: 'string' },
  label: { type: 'string' },
  scopes: { type: 'array', items: scope },
  ipAllowlist: { type: 'array', items: { type: 'string' } },
  expiresAt: { type: ['string', 'null'] },
  algorithm,
  createdAt: { type: 'string' },
} as const;
const keyRequired = ['keyId', 'label', 'scopes', 'ipAllowlist', 'expiresAt', 'algorithm', 'createdAt'];

export const apiKey = { type: 'object', additionalProperties: false, required: keyRequired, properties: keyProperties } as const;

/** The creation answer: the key, plus `secret` (base64) for hmac-sha256, shown this once. */
export const createdApiKey = {
  type: 'object',
  additionalProperties: false,
  required: keyRequired,
  properties: { ...keyProperties, secret: { type: 'string' } },
} as const;

export const apiKeyList = { type: 'array', items: apiKey } as const;

export const keyIdParams = {
  type: 'object', additionalProperties: false, required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;
