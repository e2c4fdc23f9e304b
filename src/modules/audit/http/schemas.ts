/**
 * JSON schemas of the audit routes: bounded query/params with `additionalProperties: false`, and
 * response schemas so nothing but the declared fields can ever be serialised.
 */
import { AUDIT_OUTCOMES } from '../entry/types.js';

const HEX_HASH = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const SEQ = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const SIZE = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
/** Unix ms, or an RFC 3339 date-time / full-date (calendar-checked by ajv-formats). */
const TIME = {
  type: 'string', maxLength: 40,
  anyOf: [{ pattern: '^[0-9]{1,15}$' }, { format: 'date-time' }, { format: 'date' }],
} as const;

export const entrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['seq', 'time', 'actor', 'action', 'target', 'outcome', 'ip', 'requestId', 'details'],
  properties: {
    seq: { type: 'integer' },
    time: { type: 'integer', description: 'Unix milliseconds' },
    actor: { type: 'string' },
    action: { type: 'string' },
    target: { type: ['string', 'null'] },
    outcome: { type: 'string', enum: AUDIT_OUTCOMES },
    ip: { type: ['string', 'null'], description: 'keyed-hash pseudonym' },
    requestId: { type: ['string', 'null'] },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

export const treeHeadSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['treeSize', 'rootHash', 'timestamp', 'origin', 'keyId', 'signature', 'checkpoint'],
  properties: {
    treeSize: { type: 'integer' },
    rootHash: HEX_HASH,
    timestamp: { type: 'integer' },
    origin: { type: 'string' },
    keyId: { type: 'string' },
    signature: { type: 'string', description: 'base64 Ed25519 signature of the checkpoint body' },
    checkpoint: { type: 'string', description: 'C2SP signed note' },
  },
} as const;

const nullableHead = { anyOf: [treeHeadSchema, { type: 'null' }] } as const;

export const searchSchema = {
  tags: ['audit'],
  summary: 'Search the audit log by time, actor, action and outcome',
  security: [{ bearer: [] }],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      from: { ...TIME, description: 'inclusive; Unix ms or RFC 3339' },
      to: { ...TIME, description: 'exclusive; Unix ms or RFC 3339' },
      actor: { type: 'string', minLength: 1, maxLength: 320, description: 'clear value or pseudonym' },
      action: { type: 'string', minLength: 1, maxLength: 128 },
      outcome: { type: 'string', enum: AUDIT_OUTCOMES },
      order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
      cursor: SEQ,
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['entries', 'nextCursor'],
      properties: { entries: { type: 'array', items: entrySchema }, nextCursor: { type: ['integer', 'null'] } },
    },
  },
} as const;

export const verifySchema = {
  tags: ['audit'],
  summary: 'Verify the whole audit log; names the first bad seq',
  security: [{ bearer: [] }],
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['ok', 'entries', 'treeHead', 'treeHeadsChecked'],
      properties: {
        ok: { type: 'boolean' },
        entries: { type: 'integer' },
        firstBadSeq: { type: 'integer' },
        reason: { type: 'string' },
        detail: { type: 'string' },
        treeHead: nullableHead,
        treeHeadsChecked: { type: 'integer' },
      },
    },
  },
} as const;

export const inclusionSchema = {
  tags: ['audit'],
  summary: 'RFC 6962 inclusion proof of one entry',
  security: [{ bearer: [] }],
  params: { type: 'object', additionalProperties: false, required: ['seq'], properties: { seq: SEQ } },
  querystring: { type: 'object', additionalProperties: false, properties: { treeSize: SIZE } },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['seq', 'leafIndex', 'treeSize', 'leafHash', 'proof', 'rootHash', 'treeHead', 'entry'],
      properties: {
        seq: { type: 'integer' },
        leafIndex: { type: 'integer' },
        treeSize: { type: 'integer' },
        leafHash: HEX_HASH,
        proof: { type: 'array', items: HEX_HASH },
        rootHash: HEX_HASH,
        treeHead: nullableHead,
        entry: entrySchema,
      },
    },
  },
} as const;

export const consistencySchema = {
  tags: ['audit'],
  summary: 'RFC 6962 consistency proof between two tree sizes',
  security: [{ bearer: [] }],
  querystring: {
    type: 'object', additionalProperties: false, required: ['from'], properties: { from: SIZE, to: SIZE },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['fromSize', 'toSize', 'fromRoot', 'toRoot', 'proof', 'fromHead', 'toHead'],
      properties: {
        fromSize: { type: 'integer' },
        toSize: { type: 'integer' },
        fromRoot: HEX_HASH,
        toRoot: HEX_HASH,
        proof: { type: 'array', items: HEX_HASH },
        fromHead: nullableHead,
        toHead: nullableHead,
      },
    },
  },
} as const;

export const treeHeadRouteSchema = {
  tags: ['audit'],
  summary: 'The newest signed tree head and the public key that signs them',
  security: [{ bearer: [] }],
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['treeHead', 'origin', 'publicKey'],
      properties: {
        treeHead: nullableHead,
        origin: { type: 'string' },
        publicKey: { type: 'string', description: 'SubjectPublicKeyInfo PEM' },
      },
    },
  },
} as const;
