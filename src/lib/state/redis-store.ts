/**
 * StateStore on Redis (ioredis), shared by all replicas.
 *
 * One round trip per operation: a single native command where Redis is already atomic
 * (GET, SET … PX, SET … NX PX, DEL, PUBLISH), otherwise one EVALSHA of a Lua script from
 * `redis-scripts.ts` (ioredis `defineCommand` falls back to EVAL once if the script cache was
 * flushed). Pub/sub uses a second connection, because a subscribed connection cannot issue
 * other commands. Every key and channel lives under `keyPrefix`.
 */
import { Redis } from 'ioredis';

import { deliver } from './deliver.js';
import { COMPARE_AND_SWAP, INCREMENT, SLIDING_WINDOW, TAKE_TOKEN } from './redis-scripts.js';
import type { StateLogger, StateStore, TokenBucketResult } from './types.js';
import {
  assertBucket,
  assertKey,
  assertOptionalTtl,
  assertPositiveInt,
  assertSafeInt,
  assertValue,
} from './validate.js';

export interface RedisStateStoreOptions {
  /** redis:// or rediss:// URL. */
  url: string;
  /** Prepended to every key and channel, e.g. `q2:`. */
  keyPrefix: string;
  logger?: StateLogger;
}

type Scripted = {
  q2Increment(key: string, by: string, ttlMs: string): Promise<number>;
  q2CompareAndSwap(key: string, hasExpected: string, expected: string, hasNext: string, next: string, ttlMs: string): Promise<number>;
  q2SlidingWindow(key: string, windowMs: string, limit: string): Promise<[number, number, number]>;
  q2TakeToken(key: string, capacity: string, intervalMs: string, cost: string): Promise<number | [number, number]>;
};

type Handler = (message: string) => void;

export function createRedisStateStore(options: RedisStateStoreOptions): StateStore {
  const { keyPrefix, logger } = options;
  if (typeof keyPrefix !== 'string') throw new TypeError('keyPrefix must be a string');
  const client = new Redis(options.url, {
    // Fail a command after a short outage instead of queueing it for ever: callers on the
    // request path (nonces, rate limits) must get an error they can fail closed on.
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
  });
  client.on('error', (err: Error) => logger?.warn({ err: { message: err.message } }, 'redis state store connection error'));
  client.defineCommand('q2Increment', { numberOfKeys: 1, lua: INCREMENT });
  client.defineCommand('q2CompareAndSwap', { numberOfKeys: 1, lua: COMPARE_AND_SWAP });
  client.defineCommand('q2SlidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW });
  client.defineCommand('q2TakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN });
  const scripts = client as unknown as Scripted;

  let subscriber: Redis | undefined;
  const handlers = new Map<string, Set<{ handler: Handler }>>();
  let closed = false;

  const k = (key: string): string => {
    assertKey(key);
    return keyPrefix + key;
  };
  const assertOpen = (): void => {
    if (closed) throw new Error('state store is closed');
  };

  function subscriberConnection(): Redis {
    if (subscriber !== undefined) return subscriber;
    const sub = client.duplicate();
    sub.on('error', (err: Error) => logger?.warn({ err: { message: err.message } }, 'redis subscriber connection error'));
    sub.on('message', (fullChannel: string, message: string) => {
      const set = handlers.get(fullChannel);
      if (set === undefined) return;
      const channel = fullChannel.slice(keyPrefix.length);
      for (const { handler } of [...set]) deliver(handler, channel, message, logger);
    });
    subscriber = sub;
    return sub;
  }

  return {
    kind: 'redis',
    async get(key) {
      assertOpen();
      return client.get(k(key));
    },
    async set(key, value, ttlMs) {
      assertOpen();
      assertValue(value);
      assertOptionalTtl(ttlMs);
      if (ttlMs === undefined) await client.set(k(key), value);
      else await client.set(k(key), value, 'PX', ttlMs);
    },
    async delete(key) {
      assertOpen();
      await client.del(k(key));
    },
    async setIfAbsent(key, value, ttlMs) {
      assertOpen();
      assertValue(value);
      assertPositiveInt(ttlMs, 'ttlMs');
      return (await client.set(k(key), value, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async increment(key, by, ttlMs) {
      assertOpen();
      assertSafeInt(by, 'by');
      assertPositiveInt(ttlMs, 'ttlMs');
      return Number(await scripts.q2Increment(k(key), String(by), String(ttlMs)));
    },
    async compareAndSwap(key, expected, next, ttlMs) {
      assertOpen();
      if (expected !== null) assertValue(expected);
      if (next !== null) assertValue(next);
      assertOptionalTtl(ttlMs);
      const swapped = await scripts.q2CompareAndSwap(
        k(key),
        expected === null ? '0' : '1',
        expected ?? '',
        next === null ? '0' : '1',
        next ?? '',
        ttlMs === undefined ? '' : String(ttlMs),
      );
      return swapped === 1;
    },
    async slidingWindow(key, windowMs, limit) {
      assertOpen();
      assertPositiveInt(windowMs, 'windowMs');
      assertPositiveInt(limit, 'limit');
      const [allowed, count, resetMs] = await scripts.q2SlidingWindow(k(key), String(windowMs), String(limit));
      return { allowed: allowed === 1, count: Number(count), resetMs: Number(resetMs) };
    },
    // Not async, and one reply shape per outcome: this runs once per rate-limited request.
    takeToken(key, capacity, refillPerSecond, cost = 1) {
      try {
        assertOpen();
        assertBucket(capacity, refillPerSecond, cost);
        return scripts.q2TakeToken(k(key), String(capacity), String(1000 / refillPerSecond), String(cost)).then(bucketResult);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    async publish(channel, message) {
      assertOpen();
      assertKey(channel, 'channel');
      assertValue(message);
      await client.publish(keyPrefix + channel, message);
    },
    async subscribe(channel, handler) {
      assertOpen();
      assertKey(channel, 'channel');
      if (typeof handler !== 'function') throw new TypeError('handler must be a function');
      const fullChannel = keyPrefix + channel;
      const subscription = { handler };
      let set = handlers.get(fullChannel);
      if (set === undefined) {
        set = new Set();
        handlers.set(fullChannel, set);
      }
      set.add(subscription);
      try {
        // Resolves once Redis confirmed; ioredis re-subscribes by itself after a reconnect.
        await subscriberConnection().subscribe(fullChannel);
      } catch (error) {
        set.delete(subscription);
        throw error;
      }
      return async () => {
        const current = handlers.get(fullChannel);
        if (current === undefined || !current.delete(subscription)) return;
        if (current.size === 0) {
          handlers.delete(fullChannel);
          if (!closed) await subscriber?.unsubscribe(fullChannel);
        }
      };
    },
    async ping() {
      assertOpen();
      await client.ping();
    },
    async close() {
      if (closed) return;
      closed = true;
      handlers.clear();
      await Promise.all([quit(client), subscriber === undefined ? undefined : quit(subscriber)]);
    },
  };
}

function bucketResult(reply: number | [number, number]): TokenBucketResult {
  if (typeof reply === 'number') return { allowed: true, remaining: reply, retryAfterMs: 0 };
  return { allowed: false, remaining: Number(reply[0]), retryAfterMs: Number(reply[1]) };
}

/** QUIT politely; if the connection is already broken, drop it. */
async function quit(connection: Redis): Promise<void> {
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}
