import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { IngestContext, IngestResult } from '../service/ingest.js';
import { createHttpPullAdapter } from './http-adapter.js';
import { createPuller, type PriceSourceAdapter } from './puller.js';
import { signPriceUpdate, type SignedPriceUpdate } from './update.js';

const key = generateKeyPairSync('ed25519').privateKey;
const update = (sequence: number) => signPriceUpdate({ sourceId: 'pull-1', symbol: 'BTC-USD', price: '100', timestamp: 1, sequence }, key);

function recordingIngest() {
  const seen: [SignedPriceUpdate, IngestContext][] = [];
  const ingest = async (u: SignedPriceUpdate, ctx: IngestContext): Promise<IngestResult> => {
    seen.push([u, ctx]);
    return u.sequence % 2 === 1
      ? { ok: true, sourceId: u.sourceId, symbol: u.symbol, sequence: u.sequence, status: 'ok' }
      : { ok: false, code: 'PRICE_SEQUENCE_REPLAYED', detail: 'replay', authenticated: true };
  };
  return { seen, ingest };
}

describe('createPuller', () => {
  it('validates every pulled item and sends the well-formed ones through ingest as pull', async () => {
    const { seen, ingest } = recordingIngest();
    const adapter: PriceSourceAdapter = { name: 'fixed', fetch: async () => [update(1), update(2), { ...update(3), extra: true }, 'junk', { ...update(5), price: 5 }] };
    const [report] = await createPuller({ adapters: [adapter], ingest }).pollOnce();
    expect(report).toEqual({ adapter: 'fixed', accepted: 1, rejected: 1, malformed: 3, error: null });
    expect(seen.map(([u, ctx]) => [u.sequence, ctx.via])).toEqual([[1, 'pull'], [2, 'pull']]);
  });

  it('takes at most maxUpdatesPerPoll items from one answer', async () => {
    const { seen, ingest } = recordingIngest();
    const adapter: PriceSourceAdapter = { name: 'flood', fetch: async () => Array.from({ length: 50 }, (_, i) => update(i * 2 + 1)) };
    await createPuller({ adapters: [adapter], ingest, maxUpdatesPerPoll: 10 }).pollOnce();
    expect(seen).toHaveLength(10);
  });

  it('reports a failing adapter without throwing, and skips one still busy', async () => {
    const { ingest } = recordingIngest();
    let release: (value: unknown) => void = () => undefined;
    const slow: PriceSourceAdapter = { name: 'slow', fetch: () => new Promise((resolve) => { release = resolve; }) };
    const broken: PriceSourceAdapter = { name: 'broken', fetch: async () => { throw new TypeError('boom'); } };
    const puller = createPuller({ adapters: [slow, broken], ingest });
    const first = puller.pollOnce();
    await new Promise((resolve) => setImmediate(resolve)); // the broken poll settles; the slow one cannot
    const second = await puller.pollOnce();
    expect(second.map((r) => r.adapter)).toEqual(['broken']);
    expect(second[0]).toMatchObject({ error: 'TypeError', accepted: 0 });
    release([update(1)]);
    expect((await first).find((r) => r.adapter === 'slow')).toMatchObject({ accepted: 1 });
  });
});

describe('createHttpPullAdapter', () => {
  it('refuses plain http except on loopback', () => {
    expect(() => createHttpPullAdapter({ name: 'x', url: 'http://feeds.example/prices' })).toThrow(TypeError);
    expect(() => createHttpPullAdapter({ name: 'x', url: 'http://127.0.0.1:9/prices' })).not.toThrow();
    expect(() => createHttpPullAdapter({ name: 'x', url: 'https://feeds.example/prices' })).not.toThrow();
  });
});
