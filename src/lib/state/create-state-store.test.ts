/** Adapter selection, fail-fast boot, and Redis behaviour that needs the server's own clock. */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

import { stateBackends, uniqueKeyPrefix } from '../../../test/support/backends.js';
import { createManualClock } from '../clock/index.js';
import { createStateStore } from './create-state-store.js';

const redisBackends = (await stateBackends()).filter((b) => b.redisUrl !== undefined);

describe('createStateStore', () => {
  it('uses the in-memory store when no Redis URL is configured', async () => {
    const store = await createStateStore({ keyPrefix: 'q2:', clock: createManualClock() });
    expect(store.kind).toBe('memory');
    await store.close();
  });

  it('fails at boot when Redis cannot be reached', async () => {
    await expect(
      createStateStore({ redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'q2:', clock: createManualClock() }),
    ).rejects.toThrow();
  });
});

describe.each(redisBackends)('Redis state store on $redisUrl', ({ redisUrl }) => {
  it('is chosen when a Redis URL is configured and keeps every key under the prefix', async () => {
    const keyPrefix = uniqueKeyPrefix();
    const admin = new Redis(redisUrl!);
    const store = await createStateStore({ redisUrl, keyPrefix, clock: createManualClock() });
    try {
      expect(store.kind).toBe('redis');
      await store.set('plain', 'v', 10_000);
      await store.slidingWindow('window', 10_000, 5);
      await store.takeToken('bucket', 5, 1);
      await store.increment('counter', 1, 10_000);
      expect((await admin.keys(`${keyPrefix}*`)).sort()).toEqual(
        ['bucket', 'counter', 'plain', 'window'].map((k) => keyPrefix + k),
      );
    } finally {
      await store.close();
      const keys = await admin.keys(`${keyPrefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      await admin.quit();
    }
  });

  it('refills a bucket by the server clock', async () => {
    const keyPrefix = uniqueKeyPrefix();
    const store = await createStateStore({ redisUrl, keyPrefix, clock: createManualClock() });
    try {
      // 1 token, refilled at 200/s: allowed again within ~5 ms of server time. Poll, bounded.
      await expect(store.takeToken('b', 1, 200)).resolves.toMatchObject({ allowed: true });
      const refused = await store.takeToken('b', 1, 200);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(5);
      const deadline = Date.now() + 2_000;
      let allowed = false;
      while (!allowed && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
        allowed = (await store.takeToken('b', 1, 200)).allowed;
      }
      expect(allowed).toBe(true);
    } finally {
      await store.close();
    }
  });
});
