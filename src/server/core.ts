/**
 * Opens everything but the HTTP server: storage (migrated), shared state, the event bus, the key
 * ring and the capabilities. `q2 serve` adds the app on top (platform.ts); CLI commands use this
 * directly so they act through the same capabilities as the API.
 */
import { mkdir } from 'node:fs/promises';
import { Counter } from 'prom-client';
import type { Config } from '../lib/config/index.js';
import { systemClock, type Clock } from '../lib/clock/index.js';
import { createDatabase } from '../lib/db/index.js';
import { createStateStore } from '../lib/state/index.js';
import { createSecurityEventBus } from '../lib/events/index.js';
import type { Logger } from '../lib/log/index.js';
import type { Capability, PlatformCore } from './capability.js';
import { createCapabilities, type CapabilityOptions } from './capabilities.js';
import { createPlatformCrypto } from './crypto-wiring.js';
import { createMetricsRegistry } from './plugins/metrics.js';

export interface OpenCore {
  core: PlatformCore;
  capabilities: readonly Capability[];
  /** Registers something to close first on shutdown (e.g. the HTTP server). */
  onClose(close: () => Promise<void>): void;
  close(): Promise<void>;
}

export interface CoreOptions {
  logger: Logger;
  /**
   * Key prefix in the shared state store. Replicas of one deployment share it; test runs use
   * their own so leftovers (bans, risk scores) never leak between them. Default `q2:`.
   */
  statePrefix?: string;
  /** Per-capability settings that have no environment variable (limits, policies). */
  capabilities?: CapabilityOptions;
  clock?: Clock;
  collectProcessMetrics?: boolean;
}

export async function openCore(config: Config, options: CoreOptions): Promise<OpenCore> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });

  const metrics = createMetricsRegistry(options.collectProcessMetrics ?? true);
  const eventProblems = new Counter({
    name: 'q2_event_subscriber_problems_total',
    help: 'Security-event subscribers that failed or fell behind',
    labelNames: ['subscriber', 'kind'] as const,
    registers: [metrics],
  });

  // Closed in reverse order of opening.
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.splice(0)) {
      try {
        await closer();
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
    const state = await createStateStore({ redisUrl: config.storage.redisUrl, keyPrefix: options.statePrefix ?? 'q2:', clock, logger });
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
    const capabilities = await createCapabilities(core, options.capabilities);
    for (const capability of capabilities) if (capability.close) closers.unshift(() => capability.close!());
    return { core, capabilities, onClose: (c) => closers.unshift(c), close };
  } catch (error) {
    await close();
    throw error;
  }
}
