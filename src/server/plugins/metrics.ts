/**
 * Prometheus metrics (prom-client) on a per-app registry, so two apps in one process (tests,
 * benchmarks) never share counters. Routes are labelled by their template, never by the raw URL,
 * which bounds label cardinality against path-scanning clients.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface HttpMetrics {
  registry: Registry;
}

export function createMetricsRegistry(collectProcess = true): Registry {
  const registry = new Registry();
  if (collectProcess) collectDefaultMetrics({ register: registry, prefix: 'q2_' });
  return registry;
}

export function registerHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const requests = new Counter({
    name: 'q2_http_requests_total',
    help: 'HTTP requests by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'q2_http_request_duration_seconds',
    help: 'HTTP request latency by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  // One hook does both the access log line and the metrics: a single pass per request, and one
  // log line instead of Fastify's two ("incoming request" + "request completed").
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const labels = { route, method: request.method, status: String(status) };
    const ms = reply.elapsedTime;
    requests.inc(labels);
    latency.observe(labels, ms / 1000);
    request.log.info({ method: request.method, route, status, ms: Math.round(ms * 100) / 100, ip: request.ip }, 'request');
    done();
  });
}
