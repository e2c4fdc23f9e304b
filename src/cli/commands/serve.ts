/** `q2 serve` — run the HTTPS server until SIGTERM/SIGINT, then shut down gracefully. */
import type { CliCommand } from '../types.js';
import { loadCliContext } from '../context.js';
import { createPlatform } from '../../server/platform.js';

const SHUTDOWN_GRACE_MS = 10_000;

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'start the HTTPS API server (default https://127.0.0.1:8443)',
  async run(_argv, io) {
    const ctx = loadCliContext(io);
    if (!ctx) return 1;
    const { config, logger } = ctx;
    const platform = await createPlatform(config, { logger });
    const address = await platform.app.listen({ host: config.server.host, port: config.server.port });
    logger.info({ address, tls: config.server.tls.minVersion }, 'q2 listening');
    if (config.developmentMode) {
      io.stderr.write(`\n  *** Q2 DEVELOPMENT MODE: generated master key and self-signed certificate in ${config.dataDir} ***\n` +
        `  *** Listening on ${address} — not for production. ***\n\n`);
    }

    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down: no new connections, draining in-flight requests');
        const force = setTimeout(() => {
          logger.error('graceful shutdown timed out; exiting');
          resolve(1);
        }, SHUTDOWN_GRACE_MS);
        force.unref();
        platform.close().then(() => {
          clearTimeout(force);
          logger.info('shutdown complete');
          resolve(0);
        }, (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
  },
};
