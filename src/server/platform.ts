/**
 * The composition root: the one place where configuration becomes running parts. It opens
 * storage, shared state and the event bus, creates the capabilities, prepares TLS, builds the
 * app and hands back a `close()` that shuts everything down in reverse order (graceful: stop
 * accepting, drain in-flight requests and event queues, then close stores).
 */
import { mkdir } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import type { Config } from '../lib/config/index.js';
import { systemClock, type Clock } from '../lib/clock/index.js';
import { createDatabase } from '../lib/db/index.js';
import { createStateStore } from '../lib/state/index.js';
import { createSecurityEventBus } from '../lib/events/index.js';
import type { Logger } from '../lib/log/index.js';
import { buildApp, type RouteModule } from './app.js';
import type { Authenticator } from './auth.js';
import type { Capability, PlatformCore } from './capability.js';
import { createCapabilities } from './capabilities.js';
import { createPlatformCrypto } from './crypto-wiring.js';
import { createMetricsRegistry } from './plugins/metrics.js';
import { ensureDevelopmentCertificate, loadTlsFiles, type TlsMaterial } from './tls.js';

export interface Platform extends PlatformCore {
  app: FastifyInstance;
  capabilities: readonly Capability[];
  close(): Promise<void>;
}

export interface PlatformOptions {
  logger: Logger;
  clock?: Clock;
  /** Plain HTTP, for in-process tests and benchmarks only; `q2 serve` always uses TLS. */
  insecureHttp?: boolean;
  collectProcessMetrics?: boolean;
  /** Extra routes registered after the capabilities' (benchmarks, edge tests). */
  routes?: readonly RouteModule[];
  /** Overrides the identity capability's authenticator (edge tests of admin routes). */
  authenticate?: Authenticator;
}

async function prepareTls(config: Config, logger: Logger): Promise<TlsMaterial> {
  const { certFile, keyFile } = config.server.tls;
  if (certFile && keyFile) return loadTlsFiles(certFile, keyFile);
  const tls = await ensureDevelopmentCertificate(config.dataDir);
  if (tls.generated) logger.warn({ dir: `${config.dataDir}/tls` }, 'generated a self-signed development TLS certificate');
  return tls;
}

export async function createPlatform(config: Config, options: PlatformOptions): Promise<Platform> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  if (config.developmentMode) {
    logger.warn('DEVELOPMENT MODE: no Q2_MASTER_* and no TLS files were given; generated secrets live in %s. Do not use this for real funds.', config.dataDir);
  }

  const metrics = createMetricsRegistry(options.collectProcessMetrics ?? true);
  const eventProblems = new Counter({
    name: 'q2_event_subscriber_problems_total',
    help: 'Security-event subscribers that failed or fell behind',
    labelNames: ['subscriber', 'kind'] as const,
    registers: [metrics],
  });

  // Closed in reverse order of opening.
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0)) {
      try {
        await close();
      } catch (error) {
        logger.error({ err: error }, 'error during shutdown');
      }
    }
  };
  try {
    const db = await createDatabase(config.storage.databaseUrl, { logger });
    closers.unshift(() => db.close());
    const { applied } = await db.migrate();
    if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
    const state = await createStateStore({ redisUrl: config.storage.redisUrl, keyPrefix: 'q2:', clock, logger });
    closers.unshift(() => state.close());
    const events = createSecurityEventBus({
      clock,
      onProblem: (problem) => {
        eventProblems.inc({ subscriber: problem.subscriber, kind: problem.kind });
        logger.error({ subscriber: problem.subscriber, kind: problem.kind, backlog: problem.backlog, err: problem.error, eventType: problem.event?.type },
          'security event subscriber problem');
      },
    });
    closers.unshift(() => events.drain());
    const crypto = await createPlatformCrypto({ config, db, clock, logger });
    closers.unshift(() => crypto.close());
    const core: PlatformCore = { config, clock, logger, db, state, events, metrics, crypto };

    const capabilities = await createCapabilities(core);
    for (const capability of capabilities) if (capability.close) closers.unshift(() => capability.close!());
    const authenticate = options.authenticate ?? capabilities.find((c) => c.authenticate)?.authenticate;

    const tls = options.insecureHttp ? undefined : await prepareTls(config, logger);
    const app = await buildApp({
      server: config.server,
      logger,
      registry: metrics,
      ...(tls ? { tls } : {}),
      ...(authenticate ? { authenticate } : {}),
      onRequest: capabilities.flatMap((c) => (c.onRequest ? [c.onRequest] : [])),
      routes: [...capabilities.flatMap((c) => c.routes ?? []), ...(options.routes ?? [])],
      probes: [
        { name: 'database', check: () => db.ping() },
        { name: 'state', check: () => state.ping() },
      ],
    });
    // Stop accepting and drain requests before anything they use is closed.
    closers.unshift(() => app.close());

    return { ...core, app, capabilities, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
