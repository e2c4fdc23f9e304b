/**
 * What a capability (audit, identity, network protection, …) receives from the platform and
 * gives back. Each capability exposes `createXCapability(core)`; the composition root
 * (capabilities.ts) calls them in dependency order.
 */
import type { Registry } from 'prom-client';
import type { Clock } from '../lib/clock/index.js';
import type { Config } from '../lib/config/index.js';
import type { Database } from '../lib/db/index.js';
import type { SecurityEventBus } from '../lib/events/index.js';
import type { Logger } from '../lib/log/index.js';
import type { StateStore } from '../lib/state/index.js';
import type { PlatformCrypto } from './crypto-wiring.js';
import type { RouteModule } from './app.js';
import type { Authenticator } from './auth.js';

export interface PlatformCore {
  config: Config;
  clock: Clock;
  logger: Logger;
  db: Database;
  state: StateStore;
  events: SecurityEventBus;
  /** Prometheus registry served at /metrics. */
  metrics: Registry;
  /** Key ring, envelope encryption and the FieldProtector for secret/personal fields. */
  crypto: PlatformCrypto;
}

export interface Capability {
  name: string;
  routes?: readonly RouteModule[];
  /** Only the identity capability provides this. */
  authenticate?: Authenticator;
  /** Runs on Fastify's onRequest before routing: cheap gates such as IP rules and rate limits. */
  onRequest?: RouteModule;
  /** Released on shutdown, in reverse order of creation. */
  close?(): Promise<void>;
}
