/**
 * `GET /v1/admin/network/policy` (`ip-rules:read`): the policy in force on this replica, the
 * defaults merged with the operator's Q2_NETWORK_POLICY_FILE, so an operator can check what a
 * file actually changed without reading code. Read-only: the policy changes with a restart.
 * The response schema is derived from the policy's own shape, so a new setting cannot be
 * served unchecked and nothing outside the policy can leak through this route.
 */
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../../server/auth.js';
import { DEFAULT_NETWORK_CONFIG, ROUTE_CLASSES, type NetworkConfig } from './config.js';

type Schema = Record<string, unknown>;

function schemaOf(value: unknown): Schema {
  if (typeof value === 'number') return { type: 'number' };
  if (typeof value === 'boolean') return { type: 'boolean' };
  if (typeof value === 'string') return { type: 'string' };
  if (Array.isArray(value)) return { type: 'array', items: schemaOf(value[0]) };
  const object = value as Record<string, unknown>;
  const properties = Object.fromEntries(Object.keys(object).map((key) => [key, schemaOf(object[key])]));
  return { type: 'object', additionalProperties: false, required: Object.keys(object), properties };
}

const limitSchema = {
  type: ['object', 'null'], additionalProperties: false, required: ['limit', 'windowMs'],
  properties: { limit: { type: 'integer' }, windowMs: { type: 'integer' } },
};
const classSchema = {
  type: 'object', additionalProperties: false, required: ['perIp', 'perAccount', 'perApiKey', 'bodyLimitBytes', 'shed'],
  properties: { perIp: limitSchema, perAccount: limitSchema, perApiKey: limitSchema, bodyLimitBytes: { type: ['integer', 'null'] }, shed: { type: 'boolean' } },
};

export const policySchema: Schema = (() => {
  // Classes hold nullable limits, described by hand above; everything else by its default.
  const base = schemaOf({ ...DEFAULT_NETWORK_CONFIG, classes: {} }) as { properties: Record<string, Schema> };
  base.properties.classes = {
    type: 'object', additionalProperties: false, required: [...ROUTE_CLASSES],
    properties: Object.fromEntries(ROUTE_CLASSES.map((name) => [name, classSchema])),
  };
  return base;
})();

export function networkPolicyRoute(policy: { config: NetworkConfig; file: string | null }) {
  return (app: FastifyInstance): void => {
    app.get('/v1/admin/network/policy', {
      config: { rateLimit: 'admin' },
      preHandler: requirePermission('ip-rules:read'),
      schema: {
        tags: ['network'],
        summary: 'The network-protection policy in force (defaults merged with Q2_NETWORK_POLICY_FILE)',
        response: {
          200: {
            type: 'object', additionalProperties: false, required: ['source', 'policy'],
            properties: { source: { type: 'string', enum: ['defaults', 'file'] }, policy: policySchema },
          },
        },
      },
    }, async () => ({ source: policy.file === null ? 'defaults' : 'file', policy: policy.config }));
  };
}
