/** Shared ephemeral state (nonces, rate limits, lockouts, pub/sub): memory or Redis. */
export { createStateStore, type StateStoreOptions } from './create-state-store.js';
export { createMemoryStateStore, type MemoryStateStore, type MemoryStateStoreOptions } from './memory-store.js';
export { createRedisStateStore, type RedisStateStoreOptions } from './redis-store.js';
export type { SlidingWindowResult, StateLogger, StateStore, TokenBucketResult } from './types.js';
