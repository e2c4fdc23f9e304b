/**
 * Wires the trading core for the server: instruments, the matching host (one writer per
 * symbol; leases with fencing on PostgreSQL), the order, admin and withdrawal services and
 * their routes. Reference prices: the market-data feed when the composition passes one, the
 * admin-set price for symbols the feed does not know.
 */
import type { Capability, PlatformCore } from '../../server/capability.js';
import type { ReferencePriceSource } from '../../lib/pricing/index.js';
import { createAdminService, type AdminService } from './admin-service.js';
import { resolveTradingConfig, type TradingConfig } from './config.js';
import { createTradingEvents } from './events.js';
import { loadInstrumentRegistry, type InstrumentRegistry } from './instruments/registry.js';
import { createOrderService, type OrderService } from './orders/service.js';
import { openSymbolWorker } from './orders/worker.js';
import { createLeasedHost, createLocalHost, type MatchingHost, type WorkerFactory } from './ownership/host.js';
import { combineReferenceSources, createAdminReferenceSource } from './reference/admin-source.js';
import { parseDecimal } from '../../lib/money/decimal.js';
import { adminRoutes } from './routes/admin-routes.js';
import { orderRoutes } from './routes/order-routes.js';
import { withdrawalRoutes } from './routes/withdrawal-routes.js';
import { createAddressBook } from './withdrawals/addresses.js';
import { createEmailWithdrawalNotifier, manualPayout, type WithdrawalNotifier, type WithdrawalPayout, type WithdrawalScreening } from './withdrawals/ports.js';
import { createWithdrawalLifecycle, type WithdrawalLifecycle } from './withdrawals/lifecycle.js';
import type { PayoutRetryPolicy } from './withdrawals/payout-attempts.js';
import { startPayoutRetryLoop, type PayoutRetryLoop } from './withdrawals/payout-retry-loop.js';
import { createWithdrawalService, type WithdrawalService } from './withdrawals/service.js';

export interface TradingCapabilityOptions {
  config?: Parameters<typeof resolveTradingConfig>[0];
  /** The market-data module's validated reference prices (SPEC §6). */
  referencePrices?: ReferencePriceSource;
  /** Sanctions/AML screening (compliance); absent = "no screening configured", recorded as 'not-configured'. */
  screening?: WithdrawalScreening;
  /** Sends approved withdrawals; absent = `manualPayout` (an operator records the outcome). */
  payout?: WithdrawalPayout;
  /** Retries of a payout that threw (defaults in payout-attempts.ts; `intervalMs`: the retry loop's tick). */
  payoutRetry?: Partial<PayoutRetryPolicy> & { intervalMs?: number };
  notifier?: WithdrawalNotifier;
  /** Builds the email notifier when no `notifier` is given. */
  mailer?: { send(message: { to: string; subject: string; text: string }): Promise<void> } | undefined;
  users?: { findById(id: string): Promise<{ id: string } | null>; email(user: { id: string }): Promise<string> };
}

export interface TradingCapability extends Capability {
  trading: {
    config: TradingConfig; instruments: InstrumentRegistry; host: MatchingHost; orders: OrderService; admin: AdminService;
    withdrawals: WithdrawalService; lifecycle: WithdrawalLifecycle;
    /** Sends due payout retries; null with the manual payout, which never fails an attempt. */
    payoutRetry: PayoutRetryLoop | null;
  };
}

export async function createTradingCapability(core: PlatformCore, options: TradingCapabilityOptions = {}): Promise<TradingCapability> {
  const { db, clock, logger } = core;
  const config = resolveTradingConfig(options.config);
  const instruments = await loadInstrumentRegistry(db.kysely);
  const events = createTradingEvents(core.events, core.metrics);
  const now = () => clock.now();
  const reference = combineReferenceSources(options.referencePrices, createAdminReferenceSource({ db: db.kysely, clock, maxAgeMs: config.adminReferenceMaxAgeMs }));
  const limitDefaults = { maxOrdersPerSecond: config.maxOrdersPerSecond, selfTradePrevention: config.selfTradePrevention };
  const makeWorker: WorkerFactory = async (symbol, fence) => {
    const instrument = instruments.get(symbol);
    if (!instrument) throw new TypeError(`no instrument ${symbol}`);
    return openSymbolWorker({ db, instrument, clock, reference, limitDefaults, fence, onReject: events.rejected });
  };
  const onError = (error: unknown, what: string) => logger.error({ err: error }, what);
  // SQLite: one process owns the file, so it owns every book. PostgreSQL: leases decide.
  const host = db.dialect === 'postgres'
    ? await createLeasedHost({ db, state: core.state, clock, makeWorker, leaseTtlMs: config.leaseTtlMs, forwardTimeoutMs: config.forwardTimeoutMs, onError,
      onAcquired: (symbol, replicaId, fence) => logger.info({ symbol, replicaId, fence: fence.toString(), pid: process.pid }, 'acquired order book lease') })
    : createLocalHost(makeWorker);

  const orders = createOrderService({ db: db.kysely, state: core.state, instruments, host, events });
  const admin = createAdminService({ db: db.kysely, instruments, host, events, config, now });
  const addresses = createAddressBook({ db: db.kysely, protector: core.crypto.protector, coolingOffMs: config.withdrawals.coolingOffMs, now });
  const reviewAbove = new Map<string, bigint>();
  for (const [asset, text] of Object.entries(config.withdrawals.reviewAbove)) {
    const scale = instruments.assetScale(asset);
    const parsed = scale === undefined ? null : parseDecimal(text, scale);
    if (!parsed?.ok) throw new TypeError(`trading config: withdrawals.reviewAbove.${asset} is not an amount of a known asset`);
    reviewAbove.set(asset, parsed.value);
  }
  const { intervalMs, ...retry } = options.payoutRetry ?? {};
  const lifecycle = createWithdrawalLifecycle({
    db: db.kysely, addresses, payout: options.payout ?? manualPayout, events, now, onError, retry,
    scaleOf: (asset) => instruments.assetScale(asset) ?? 0,
  });
  const payoutRetry = options.payout ? startPayoutRetryLoop({ sweep: lifecycle.retryDue, onError, ...(intervalMs !== undefined ? { intervalMs } : {}) }) : null;
  const withdrawals = createWithdrawalService({
    db: db.kysely, instruments, addresses, screening: options.screening ?? null, reviewAbove, events, now, onPending: lifecycle.dispatch,
  });
  const users = options.users;
  const notifier = options.notifier ?? (options.mailer && users
    ? createEmailWithdrawalNotifier({ mailer: options.mailer, emailOf: async (id) => { const user = await users.findById(id); return user ? users.email(user) : null; } })
    : null);

  return {
    name: 'trading',
    trading: { config, instruments, host, orders, admin, withdrawals, lifecycle, payoutRetry },
    routes: [
      orderRoutes({ orders, instruments }),
      adminRoutes({ admin, withdrawals: lifecycle, now }),
      withdrawalRoutes({
        withdrawals, addresses, notifier, events, now, knownAsset: (asset) => instruments.assetScale(asset) !== undefined,
        onError: (error) => onError(error, 'withdrawal address notification failed'),
      }),
    ],
    close: async () => {
      await payoutRetry?.close();
      await host.close();
    },
  };
}
