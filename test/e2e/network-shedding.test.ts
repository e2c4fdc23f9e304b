/**
 * Load shedding at the HTTP edge, with the load signal injected (the real signal is covered by
 * src/modules/network/shedding.test.ts and the flood attack test): under sustained overload the
 * layer answers 503 SERVICE_OVERLOADED with Retry-After before any work, keeps health and admin
 * routes serving, and admits everything again once the overload ends.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock/index.js';
import { loadConfig } from '../../src/lib/config/index.js';
import { createDatabase, type Database } from '../../src/lib/db/index.js';
import { createSecurityEventBus, type SecurityEvent } from '../../src/lib/events/index.js';
import { createLogger } from '../../src/lib/log/index.js';
import { createMemoryStateStore } from '../../src/lib/state/index.js';
import { DEFAULT_NETWORK_CONFIG, createNetworkCapability, type LoadSample, type NetworkCapability } from '../../src/modules/network/index.js';
import { buildApp } from '../../src/server/app.js';
import type { PlatformCore } from '../../src/server/capability.js';

const { shedding } = DEFAULT_NETWORK_CONFIG;
let app: FastifyInstance;
let db: Database;
let dir: string;
let network: NetworkCapability;
let work = 0;
let load: LoadSample = { eventLoopDelayMs: 1, heapUsedRatio: 0.1 };
const events: SecurityEvent[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'q2-shed-'));
  const config = loadConfig({ Q2_DATA_DIR: dir }, dir);
  const clock = createManualClock();
  db = await createDatabase(`sqlite:${path.join(dir, 'q2.db')}`);
  await db.migrate();
  const bus = createSecurityEventBus({ clock });
  bus.subscribe('test', (e) => { events.push(e); });
  const logger = createLogger('silent');
  const registry = new Registry();
  const core = { config, clock, logger, db, state: createMemoryStateStore({ clock }), events: bus, metrics: registry } as unknown as PlatformCore;
  network = await createNetworkCapability(core, { loadSample: () => load });
  app = await buildApp({
    server: config.server, logger, registry, probes: [],
    onRequest: [network.onRequest!],
    routes: [...network.routes!, (a) => {
      a.get('/v1/test/work', async () => { work++; return { ok: true }; });
      a.get('/v1/admin/test/status', async () => ({ ok: true }));
    }],
  });
});
afterAll(async () => {
  await app.close();
  await network.close!();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

const get = (url: string) => app.inject({ method: 'GET', url });
const waitFor = async (predicate: () => boolean) => {
  for (let i = 0; i < 100 && !predicate(); i++) await new Promise((resolve) => setTimeout(resolve, shedding.sampleIntervalMs / 2));
  expect(predicate()).toBe(true);
};

describe('under sustained overload', () => {
  it('sheds ordinary routes with a coded 503 before the handler runs, never health or admin', async () => {
    load = { eventLoopDelayMs: shedding.delayFullMs * 2, heapUsedRatio: 0.1 };
    await waitFor(() => network.protection.pressure() === 1);
    const before = work;
    const answers = await Promise.all(Array.from({ length: 50 }, () => get('/v1/test/work')));
    const shed = answers.filter((r) => r.statusCode === 503);
    expect(shed.length).toBeGreaterThan(40);
    expect(shed[0]!.json()).toMatchObject({ code: 'SERVICE_OVERLOADED', status: 503 });
    expect(shed[0]!.headers['retry-after']).toBe(String(shedding.retryAfterSeconds));
    expect(work - before).toBe(answers.length - shed.length);
    const kept = await Promise.all(Array.from({ length: 50 }, (_, i) => get(i % 2 ? '/healthz' : '/v1/admin/test/status')));
    expect(kept.map((r) => r.statusCode).filter((s) => s === 503)).toEqual([]);
  });

  it('serves a light client at once when the overload ends, releases the limit within two calm samples, and announced both transitions', async () => {
    load = { eventLoopDelayMs: 1, heapUsedRatio: 0.1 };
    await waitFor(() => network.protection.pressure() === 0);
    expect((await get('/v1/test/work')).statusCode).toBe(200);
    await waitFor(() => events.some((e) => e.type === 'network.shedding_stopped'));
    const answers = await Promise.all(Array.from({ length: 50 }, () => get('/v1/test/work')));
    expect(answers.every((r) => r.statusCode === 200)).toBe(true);
    expect(events.filter((e) => e.type.startsWith('network.shedding_')).map((e) => e.type)).toEqual(['network.shedding_started', 'network.shedding_stopped']);
  });
});
