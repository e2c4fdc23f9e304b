/** Shared start-up for CLI commands: config from the environment, a logger, clean failures. */
import { loadConfig, ConfigError, type Config } from '../lib/config/index.js';
import { createLogger, type Logger } from '../lib/log/index.js';
import type { CliIo } from './types.js';

export interface CliContext {
  config: Config;
  logger: Logger;
}

/** Loads config; on a bad variable prints one line naming it and returns null. */
export function loadCliContext(io: CliIo, logLevelOverride?: string): CliContext | null {
  try {
    const config = loadConfig(io.env);
    return { config, logger: createLogger(logLevelOverride ?? config.logLevel) };
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`q2: configuration error: ${error.message}\n`);
      return null;
    }
    throw error;
  }
}
