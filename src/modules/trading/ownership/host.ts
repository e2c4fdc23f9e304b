/**
 * Routes each command to the single writer of its symbol.
 *
 * - `local` (SQLite: one process owns the file): every symbol's worker lives here.
 * - `leased` (PostgreSQL, any number of replicas): a replica runs a symbol's worker only while
 *   it holds that symbol's lease (leases.ts); otherwise it forwards the command to the lease
 *   holder (forwarder.ts). A free or expired lease is taken on demand by the first replica that
 *   needs it, which then rebuilds the book from the database. Leases are renewed every ttl/3;
 *   a replica that fails to renew drops the book at once, and its fence stops any write still
 *   in flight.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../lib/clock/index.js';
import type { Database } from '../../../lib/db/index.js';
import { AppError } from '../../../lib/errors/index.js';
import type { StateStore } from '../../../lib/state/index.js';
import type { Command, CommandResult } from '../orders/commands.js';
import type { Fence, SymbolWorker } from '../orders/worker.js';
import { createForwarder, type ForwardAnswer, type Forwarder } from './forwarder.js';
import { leaseFence, LeaseLostError, readLease, releaseLease, renewLease, tryAcquire } from './leases.js';

export interface MatchingHost {
  readonly replicaId: string;
  execute(command: Command): Promise<CommandResult>;
  /** This replica's worker for a symbol, when it owns the book (tests, diagnostics). */
  ownedWorker(symbol: string): Promise<SymbolWorker | undefined>;
  close(): Promise<void>;
}

export type WorkerFactory = (symbol: string, fence: Fence | null) => Promise<SymbolWorker>;

export function createLocalHost(makeWorker: WorkerFactory): MatchingHost {
  const workers = new Map<string, Promise<SymbolWorker>>();
  const workerFor = (symbol: string) => {
    let worker = workers.get(symbol);
    if (!worker) {
      worker = makeWorker(symbol, null);
      workers.set(symbol, worker);
      worker.catch(() => workers.delete(symbol));
    }
    return worker;
  };
  return {
    replicaId: 'local',
    execute: async (command) => (await workerFor(command.symbol)).execute(command),
    // A single process owns every book: asking for one opens (rebuilds) it.
    ownedWorker: (symbol) => workerFor(symbol).catch(() => undefined),
    close: async () => undefined,
  };
}

export interface LeasedHostOptions {
  db: Database;
  state: StateStore;
  clock: Clock;
  makeWorker: WorkerFactory;
  leaseTtlMs: number;
  forwardTimeoutMs: number;
  onError: (error: unknown, what: string) => void;
  /** Ownership changes are operationally interesting (and let tests find the owner). */
  onAcquired?: (symbol: string, replicaId: string, fence: bigint) => void;
}

export async function createLeasedHost(options: LeasedHostOptions): Promise<MatchingHost> {
  const { db, clock } = options;
  const replicaId = randomUUID();
  const owned = new Map<string, { fence: bigint; worker: Promise<SymbolWorker> }>();
  const acquiring = new Map<string, Promise<boolean>>();

  const drop = (symbol: string) => owned.delete(symbol);

  /** Takes the symbol's lease if possible; one attempt at a time per symbol in this process. */
  function acquire(symbol: string): Promise<boolean> {
    let attempt = acquiring.get(symbol);
    if (!attempt) {
      attempt = (async () => {
        const fence = await tryAcquire(db.kysely, symbol, replicaId, clock.now(), options.leaseTtlMs);
        if (fence === null) return false;
        options.onAcquired?.(symbol, replicaId, fence);
        const worker = options.makeWorker(symbol, leaseFence({ symbol, owner: replicaId, fence }));
        owned.set(symbol, { fence, worker });
        worker.catch((error: unknown) => {
          options.onError(error, 'rebuilding an order book failed');
          if (owned.get(symbol)?.worker === worker) drop(symbol);
        });
        await worker;
        return true;
      })().finally(() => acquiring.delete(symbol));
      acquiring.set(symbol, attempt);
    }
    return attempt;
  }

  async function runLocal(command: Command): Promise<ForwardAnswer> {
    const mine = owned.get(command.symbol);
    if (!mine) return 'not-owner';
    try {
      return await (await mine.worker).execute(command);
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
      if (owned.get(command.symbol) === mine) drop(command.symbol);
      return 'not-owner';
    }
  }

  const forwarder: Forwarder = await createForwarder({
    state: options.state, replicaId, timeoutMs: options.forwardTimeoutMs, handle: runLocal,
    onError: (error) => options.onError(error, 'order forwarding failed'),
  });

  const heartbeat = setInterval(() => {
    for (const [symbol, lease] of owned) {
      renewLease(db.kysely, { symbol, owner: replicaId, fence: lease.fence }, clock.now(), options.leaseTtlMs).then((kept) => {
        if (!kept && owned.get(symbol) === lease) drop(symbol);
      }, (error: unknown) => options.onError(error, 'renewing a book lease failed'));
    }
  }, Math.max(50, Math.floor(options.leaseTtlMs / 3)));
  heartbeat.unref();

  return {
    replicaId,
    async execute(command) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const local = await runLocal(command);
        if (local !== 'not-owner') return local;
        const lease = await readLease(db.kysely, command.symbol);
        if (!lease || lease.owner === '' || lease.owner === replicaId || lease.expiresAt <= clock.now()) {
          await acquire(command.symbol);
          continue;
        }
        const answer = await forwarder.send(lease.owner, command);
        if (answer !== 'not-owner') return answer;
      }
      throw new AppError('TRADING_OWNER_UNAVAILABLE', `Ownership of the ${command.symbol} book is changing; retry with the same clientOrderId.`);
    },
    ownedWorker: async (symbol) => (owned.has(symbol) ? owned.get(symbol)?.worker : undefined),
    async close() {
      clearInterval(heartbeat);
      await forwarder.close();
      for (const [symbol, lease] of [...owned]) {
        drop(symbol);
        await releaseLease(db.kysely, { symbol, owner: replicaId, fence: lease.fence }).catch((error: unknown) => options.onError(error, 'releasing a book lease failed'));
      }
    },
  };
}
