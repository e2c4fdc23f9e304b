/**
 * Builds the Fastify application: hardened parser and limits, security headers, request ids,
 * problem+json errors, metrics, health, OpenAPI, then the capability routes given by the caller.
 * The TLS listener itself is created here too (Fastify owns the server object) but `listen` is
 * the caller's decision.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ServerConfig } from '../lib/config/index.js';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandling } from './plugins/errors.js';
import { registerHttpMetrics } from './plugins/metrics.js';
import { registerSecurityHeaders } from './plugins/security-headers.js';
import { registerRawBody } from './plugins/raw-body.js';
import { registerHealthRoutes, registerMetricsRoute, type Probe } from './routes/health.js';
import { registerOpenApiRoute } from './routes/openapi.js';
import { registerConsoleRoutes } from './routes/console.js';
import { validatorCompiler } from './validation.js';
import { createCidrSet } from '../modules/network/index.js';
import { registerAuthentication, type Authenticator } from './auth.js';

export type RouteModule = (app: FastifyInstance) => void | Promise<void>;

export interface BuildAppOptions {
  server: ServerConfig;
  logger: Logger;
  registry: Registry;
  probes: readonly Probe[];
  /** PEM material; omitted only by in-process tests and benchmarks that use plain HTTP. */
  tls?: { cert: string; key: string };
  routes?: readonly RouteModule[];
  /** Cheap gates run before routing and authentication (IP rules, rate limits, load shedding). */
  onRequest?: readonly RouteModule[];
  /** Turns credentials into a Principal (identity module); without it no request is authenticated. */
  authenticate?: Authenticator;
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { server } = options;
  const https = options.tls
    ? {
        cert: options.tls.cert,
        key: options.tls.key,
        minVersion: server.tls.minVersion,
        // Only AEAD suites if TLS 1.2 is explicitly allowed; TLS 1.3 suites are all AEAD.
        ciphers: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305',
        honorCipherOrder: true,
        maxHeaderSize: server.maxHeaderSizeBytes,
        // Slow TLS handshakes are a slowloris variant; Node's default allows 120 s.
        handshakeTimeout: 10_000,
        // Enforce headers/request timeouts to the second (Node checks every 30 s by default).
        connectionsCheckingInterval: 1_000,
      }
    : null;

  // One CIDR matcher for every address list (src/modules/network/ip.ts): the proxies whose
  // X-Forwarded-For is believed are decided by the same code as the IP rules.
  const trustedProxies = createCidrSet(server.trustProxy);
  const app = Fastify({
    ...(https ? { https } : { http: { maxHeaderSize: server.maxHeaderSizeBytes, connectionsCheckingInterval: 1_000 } }),
    loggerInstance: options.logger as FastifyBaseLogger,
    // Fastify's two request log lines are replaced by one access line (plugins/metrics.ts).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: () => randomUUID(),
    trustProxy: server.trustProxy.length > 0 ? (address: string) => trustedProxies.has(address) : false,
    bodyLimit: server.bodyLimitBytes,
    connectionTimeout: server.requestTimeoutMs + 5_000,
    keepAliveTimeout: server.keepAliveTimeoutMs,
    requestTimeout: server.requestTimeoutMs,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 200 },
    // The HTTPS and HTTP server generics differ only in the raw server type, which no route uses.
  }) as unknown as FastifyInstance;
  app.server.headersTimeout = server.headersTimeoutMs;
  app.server.maxConnections = server.maxConnections;
  app.setValidatorCompiler(validatorCompiler);
  // JSON is the only body format of the API (SPEC §2); anything else is 415, not a string body.
  app.removeContentTypeParser('text/plain');

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Q2 Token Platform API', version: '1' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });

  registerSecurityHeaders(app);
  registerErrorHandling(app);
  registerRawBody(app);
  for (const gate of options.onRequest ?? []) await gate(app);
  registerAuthentication(app, options.authenticate);
  registerHttpMetrics(app, options.registry);
  registerHealthRoutes(app, options.probes);
  registerMetricsRoute(app, options.registry, createCidrSet(server.metricsAllow));
  registerOpenApiRoute(app);
  registerConsoleRoutes(app);
  for (const routes of options.routes ?? []) await routes(app);
  await app.ready();
  return app;
}
