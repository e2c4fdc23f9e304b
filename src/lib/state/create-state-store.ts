/**
 * Picks the StateStore adapter: Redis when a URL is configured (required for more than one
 * replica), otherwise the in-process store. Pings Redis before returning so a wrong URL fails
 * at boot, not on the first request.
 */
import type { Clock } from '../clock/index.js';
import { createMemoryStateStore } from './memory-store.js';
import { createRedisStateStore } from './redis-store.js';
import type { StateLogger, StateStore } from './types.js';

export interface StateStoreOptions {
  redisUrl?: string | undefined;
  /** Redis key and channel prefix, e.g. `q2:`. */
  keyPrefix: string;
  /** Expiry clock of the memory store (Redis uses its own server time). */
  clock: Clock;
  logger?: StateLogger;
}

export async function createStateStore(options: StateStoreOptions): Promise<StateStore> {
  if (options.redisUrl === undefined || options.redisUrl === '') {
    return createMemoryStateStore({ clock: options.clock, logger: options.logger });
  }
  const store = createRedisStateStore({ url: options.redisUrl, keyPrefix: options.keyPrefix, logger: options.logger });
  try {
    await store.ping();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
