/**
 * The server's composition root: the core (storage, state, events, key ring, capabilities) plus
 * TLS and the Fastify app. `close()` shuts down in reverse order — stop accepting and drain
 * in-flight requests first, then event queues, then the stores.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../lib/config/index.js';
import type { Logger } from '../lib/log/index.js';
import { buildApp, type RouteModule } from './app.js';
import { chainAuthenticators, type Authenticator } from './auth.js';
import type { Capability, PlatformCore } from './capability.js';
import { openCore, type CoreOptions } from './core.js';
import { ensureDevelopmentCertificate, loadTlsFiles, type TlsMaterial } from './tls.js';

export interface Platform extends PlatformCore {
  app: FastifyInstance;
  capabilities: readonly Capability[];
  close(): Promise<void>;
}

export interface PlatformOptions extends CoreOptions {
  /** Plain HTTP, for in-process tests and benchmarks only; `q2 serve` always uses TLS. */
  insecureHttp?: boolean;
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
  if (config.developmentMode) {
    logger.warn('DEVELOPMENT MODE: no Q2_MASTER_* and no TLS files were given; generated secrets live in %s. Do not use this for real funds.', config.dataDir);
  }
  const opened = await openCore(config, options);
  const { core, capabilities } = opened;
  try {
    const authenticate = options.authenticate ?? chainAuthenticators(capabilities.flatMap((c) => (c.authenticate ? [c.authenticate] : [])));
    const tls = options.insecureHttp ? undefined : await prepareTls(config, logger);
    const app = await buildApp({
      server: config.server,
      logger,
      registry: core.metrics,
      ...(tls ? { tls } : {}),
      ...(authenticate ? { authenticate } : {}),
      onRequest: capabilities.flatMap((c) => (c.onRequest ? [c.onRequest] : [])),
      routes: [...capabilities.flatMap((c) => c.routes ?? []), ...(options.routes ?? [])],
      probes: [
        { name: 'database', check: () => core.db.ping() },
        { name: 'state', check: () => core.state.ping() },
      ],
    });
    opened.onClose(() => app.close());
    return { ...core, app, capabilities, close: opened.close };
  } catch (error) {
    await opened.close();
    throw error;
  }
}
