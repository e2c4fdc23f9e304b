/** Liveness, readiness and metrics endpoints. */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { AppError } from '../../lib/errors/index.js';
import type { CidrSet } from '../../modules/network/index.js';

export interface Probe {
  name: string;
  check(): Promise<void>;
}

const READY_TIMEOUT_MS = 2_000;

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const statusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    checks: { type: 'object', additionalProperties: { type: 'string', enum: ['ok', 'down'] } },
  },
} as const;

export function registerHealthRoutes(app: FastifyInstance, probes: readonly Probe[]): void {
  app.get('/healthz', {
    schema: { tags: ['health'], summary: 'Liveness: the process is serving', response: { 200: statusSchema } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: {
      tags: ['health'],
      summary: 'Readiness: database and shared state reachable',
      response: { 200: statusSchema, 503: statusSchema },
    },
  }, async (request, reply) => {
    const results = await Promise.all(probes.map(async (probe) => {
      try {
        await withTimeout(probe.check(), READY_TIMEOUT_MS);
        return [probe.name, 'ok'] as const;
      } catch (error) {
        request.log.warn({ probe: probe.name, err: error }, 'readiness probe failed');
        return [probe.name, 'down'] as const;
      }
    }));
    const checks = Object.fromEntries(results);
    const ready = results.every(([, state]) => state === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
  });
}

/**
 * SPEC §7: /metrics only for Q2_METRICS_ALLOW (default loopback); everyone else gets the same
 * 404 as an unknown path, so scanners cannot tell the endpoint exists. (Admin-token access is
 * added with the identity module.)
 */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry, allow: CidrSet): void {
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!allow.has(request.ip)) throw new AppError('NOT_FOUND', 'No such resource.');
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
}
