/**
 * Test support for the MFA module: a migrated database, a shared state store, a manual clock, an
 * event bus whose events are captured, and the real key-ring FieldProtector — on SQLite with the
 * in-memory store always, and on PostgreSQL with Redis when available (always in CI). `replica()`
 * builds a second service over a separate state-store connection, as another server would.
 */
import { Redis } from 'ioredis';

import { createManualClock } from '../../src/lib/clock/index.js';
import { createDatabase, type Database } from '../../src/lib/db/index.js';
import { createSecurityEventBus, type SecurityEvent, type SecurityEventBus } from '../../src/lib/events/index.js';
import { createMemoryStateStore, createRedisStateStore, type StateStore } from '../../src/lib/state/index.js';
import { createMfaService, type MfaService, type MfaServiceDeps } from '../../src/modules/mfa/index.js';
import { createThrowawayPostgres, createThrowawaySqlite, testDatabaseUrl, testRedisUrl, uniqueKeyPrefix, type ThrowawayDatabase } from './backends.js';
import { createTestProtector, type TestProtector } from './protector.js';

export const RP = Object.freeze({ rpId: 'q2.example', rpName: 'Q2', origins: ['https://q2.example'] });

export type ManualClock = ReturnType<typeof createManualClock>;

export interface MfaTestEnv {
  readonly name: string;
  readonly db: Database;
  readonly state: StateStore;
  readonly clock: ManualClock;
  readonly bus: SecurityEventBus;
  readonly protector: TestProtector;
  /** A service over this environment's stores; `extra` adds mailer, sms or policy. */
  service(extra?: Partial<MfaServiceDeps>): MfaService;
  /** A service over a second state-store connection (a second replica on Redis). */
  replica(extra?: Partial<MfaServiceDeps>): Promise<MfaService>;
  /** Every event emitted so far, after the bus drained. */
  events(): Promise<SecurityEvent[]>;
  close(): Promise<void>;
}

export interface MfaTestBackend {
  readonly name: string;
  open(): Promise<MfaTestEnv>;
}

async function openEnv(name: string, database: ThrowawayDatabase, redisUrl: string | null): Promise<MfaTestEnv> {
  const clock = createManualClock(Date.UTC(2026, 0, 15, 12, 0, 0));
  const db = await createDatabase(database.url);
  await db.migrate();
  const prefix = uniqueKeyPrefix('q2mfa');
  const stores: StateStore[] = [];
  const newStore = () => {
    const store = redisUrl === null ? createMemoryStateStore({ clock }) : createRedisStateStore({ url: redisUrl, keyPrefix: prefix });
    stores.push(store);
    return store;
  };
  const state = newStore();
  const bus = createSecurityEventBus({ clock });
  const captured: SecurityEvent[] = [];
  bus.subscribe('test-capture', (event) => {
    captured.push(event);
  });
  const protector = createTestProtector(db);
  const build = (store: StateStore, extra: Partial<MfaServiceDeps> = {}) =>
    createMfaService({ db, state: store, clock, events: bus, protector, webauthn: RP, ...extra });

  return {
    name, db, state, clock, bus, protector,
    service: (extra) => build(state, extra),
    replica: async (extra) => build(redisUrl === null ? state : newStore(), extra),
    async events() {
      await bus.drain();
      return [...captured];
    },
    async close() {
      await bus.drain();
      await protector.close();
      if (redisUrl !== null) {
        const redis = new Redis(redisUrl);
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        await redis.quit();
      }
      for (const store of stores) await store.close();
      await db.close();
      await database.drop();
    },
  };
}

/** SQLite + memory always; PostgreSQL + Redis when available (required when CI=true). */
export async function mfaBackends(): Promise<MfaTestBackend[]> {
  const backends: MfaTestBackend[] = [
    { name: 'sqlite+memory', open: async () => openEnv('sqlite+memory', await createThrowawaySqlite(), null) },
  ];
  const [pgUrl, redisUrl] = await Promise.all([testDatabaseUrl(), testRedisUrl()]);
  if (pgUrl !== null && redisUrl !== null) {
    backends.push({ name: 'postgres+redis', open: async () => openEnv('postgres+redis', await createThrowawayPostgres(pgUrl), redisUrl) });
  }
  return backends;
}

/** Fails the test if any captured event carries one of `secrets` anywhere in its JSON. */
export function leakedSecrets(events: readonly SecurityEvent[], secrets: readonly string[]): string[] {
  const text = JSON.stringify(events);
  return secrets.filter((secret) => secret.length > 0 && text.includes(secret));
}
