/**
 * Admin actions of the trading core (SPEC §5): deposits, per-account risk limits, kill switches
 * and the fallback reference price. Routes guard them with one named permission and step-up
 * MFA; each action here emits one security event (audited) naming the admin and the change.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../../lib/db/schema.js';
import { AppError } from '../../lib/errors/index.js';
import { formatDecimal, parseDecimal } from '../../lib/money/decimal.js';
import type { TradingConfig } from './config.js';
import type { TradingEvents } from './events.js';
import type { InstrumentStatus } from './instruments/instrument.js';
import { setInstrumentStatus, type InstrumentRegistry } from './instruments/registry.js';
import { engagedSwitches, setKillSwitch, type KillScope } from './killswitch/store.js';
import { appendJournal, applyBalanceDeltas, readBalances } from './ledger/accounts.js';
import type { RequestContext } from './orders/commands.js';
import type { MatchingHost } from './ownership/host.js';
import { setAdminReference } from './reference/admin-source.js';
import { REFERENCE_SCALE } from './risk/band.js';
import { describeLimits, writeAccountLimits, type AccountLimits } from './risk/limits-store.js';

export interface AdminDeps {
  db: Kysely<Tables>;
  instruments: InstrumentRegistry;
  host: MatchingHost;
  events: TradingEvents;
  config: TradingConfig;
  now(): number;
}

export interface DepositBody {
  /** Idempotency key chosen by the caller (e.g. the bank transfer's reference). */
  depositId: string;
  asset: string;
  amount: string;
  reason: string;
}

/** Rolls a deposit's transaction back when its key is already taken. */
class DepositKeyTaken extends Error {}

const invalid = (path: string, why: string): never => {
  throw new AppError('VALIDATION_FAILED', `${path}: ${why}`, { extensions: { path } });
};

export function createAdminService(deps: AdminDeps) {
  const { db, instruments, events } = deps;
  const defaults = { maxOrdersPerSecond: deps.config.maxOrdersPerSecond, selfTradePrevention: deps.config.selfTradePrevention };

  async function assertUser(userId: string): Promise<void> {
    const user = await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
    if (!user) throw new AppError('NOT_FOUND', 'User not found.');
  }

  return {
    /**
     * Credits an account once per `depositId` (the idempotency key): a retry with the same key
     * and the same request answers the first result without crediting again; the same key with
     * a different request is DEPOSIT_ID_REUSED. The key's row is written in the credit's own
     * transaction, so of concurrent duplicates exactly one commits (the primary key decides).
     */
    async deposit(userId: string, body: DepositBody, ctx: RequestContext) {
      const scale = instruments.assetScale(body.asset);
      if (scale === undefined) throw new AppError('ASSET_UNKNOWN', `Unknown asset ${body.asset}.`);
      const amount = parseDecimal(body.amount, scale);
      if (!amount.ok || amount.value === 0n) return invalid('/amount', `a positive amount with at most ${scale} decimals`);
      await assertUser(userId);
      const now = BigInt(deps.now());
      const row = await db.transaction().execute(async (trx) => {
        await applyBalanceDeltas(trx, [{ userId, asset: body.asset, total: amount.value, reserved: 0n }], now);
        await appendJournal(trx, [{ userId, asset: body.asset, amount: amount.value, kind: 'deposit', refId: body.depositId }], now);
        const balance = (await readBalances(trx, userId, [body.asset], false)).get(body.asset)!;
        const record = {
          id: body.depositId, user_id: userId, asset: body.asset, amount: amount.value, reason: body.reason, created_by: ctx.actor,
          balance_total: balance.total, balance_reserved: balance.reserved, created_at: now,
        };
        const claimed = await trx.insertInto('trading_deposits').values(record).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
        // The key was used first by another request: undo this credit, answer from that one.
        if (claimed.numInsertedOrUpdatedRows !== 1n) throw new DepositKeyTaken();
        return record;
      }).catch(async (error: unknown) => {
        if (!(error instanceof DepositKeyTaken)) throw error;
        const first = await db.selectFrom('trading_deposits').selectAll().where('id', '=', body.depositId).executeTakeFirstOrThrow();
        const same = first.user_id === userId && first.asset === body.asset && first.amount === amount.value && first.reason === body.reason;
        events.emit(same ? 'trading.deposit.repeated' : 'trading.deposit.key_reused', ctx, userId, same ? 'info' : 'denied', {
          depositId: body.depositId, asset: body.asset, amount: body.amount,
        });
        if (!same) throw new AppError('DEPOSIT_ID_REUSED', 'This depositId was already used for a different deposit.');
        return { ...first, repeated: true };
      });
      if (!('repeated' in row)) events.admin('trading.deposit', ctx, userId, { depositId: row.id, asset: row.asset, amount: body.amount, reason: row.reason });
      return {
        depositId: row.id, userId: row.user_id, asset: row.asset, amount: formatDecimal(row.amount, scale),
        balance: { total: formatDecimal(row.balance_total, scale), available: formatDecimal(row.balance_total - row.balance_reserved, scale), reserved: formatDecimal(row.balance_reserved, scale) },
      };
    },

    async setRiskLimits(userId: string, body: AccountLimits, ctx: RequestContext) {
      for (const [symbol, limits] of Object.entries(body.symbols ?? {})) {
        const instrument = instruments.get(symbol) ?? invalid(`/symbols/${symbol}`, 'unknown symbol');
        const check = (field: keyof typeof limits, scale: number) => {
          const text = limits[field];
          if (text !== undefined && !parseDecimal(text, scale).ok) invalid(`/symbols/${symbol}/${field}`, `a decimal with at most ${scale} decimals`);
        };
        check('maxOrderQuantity', instrument.baseScale);
        check('maxOrderNotional', instrument.quoteScale);
        check('maxPosition', instrument.baseScale);
      }
      await assertUser(userId);
      await writeAccountLimits(db, userId, body, ctx.actor, deps.now());
      events.admin('trading.risk_limits.updated', ctx, userId, { limits: body });
      return { userId, ...describeLimits(body, instruments.list(), defaults) };
    },

    async setKillSwitch(body: { scope: KillScope; target?: string; engaged: boolean; reason?: string }, ctx: RequestContext) {
      const target = body.scope === 'global' ? '' : body.target ?? invalid('/target', `required for scope ${body.scope}`);
      if (body.scope === 'global' && body.target !== undefined) invalid('/target', 'not allowed for scope global');
      if (body.scope === 'symbol' && !instruments.get(target)) throw new AppError('NOT_FOUND', 'Unknown symbol.');
      if (body.scope === 'user') await assertUser(target);
      const reason = body.reason ?? '';
      await setKillSwitch(db, { scope: body.scope, target, engaged: body.engaged, reason, updatedBy: ctx.actor }, deps.now());
      let cancelledOrders = 0;
      if (body.engaged) {
        // The switch is committed first, so no new order passes while resting ones are cancelled.
        const symbols = body.scope === 'symbol' ? [target] : instruments.list().map((i) => i.symbol);
        for (const symbol of symbols) {
          const result = await deps.host.execute({ op: 'cancel-where', symbol, userId: body.scope === 'user' ? target : null, reason: 'kill-switch', ctx });
          if (result.ok) cancelledOrders += result.cancelled ?? 0;
        }
      }
      events.admin('trading.kill_switch', ctx, target || 'global', { scope: body.scope, engaged: body.engaged, reason, cancelledOrders });
      return { scope: body.scope, target: body.scope === 'global' ? null : target, engaged: body.engaged, cancelledOrders };
    },

    /**
     * Halts or resumes trading in a symbol. Resting orders stay in the book (a halt, not a
     * cancel; engage the symbol kill switch to cancel them); new orders are refused with
     * MARKET_HALTED on every replica from the next request (the status is read per transaction).
     */
    async setInstrumentStatus(symbol: string, body: { status: InstrumentStatus; reason: string }, ctx: RequestContext) {
      if (!instruments.get(symbol)) throw new AppError('NOT_FOUND', 'Unknown symbol.');
      await setInstrumentStatus(db, symbol, body.status);
      events.admin('trading.instrument.status', ctx, symbol, { status: body.status, reason: body.reason });
      return { symbol, status: body.status };
    },

    async killSwitches() {
      return (await engagedSwitches(db)).map((s) => ({
        scope: s.scope, target: s.scope === 'global' ? null : s.target, reason: s.reason, updatedBy: s.updatedBy, updatedAt: new Date(s.updatedAt).toISOString(),
      }));
    },

    async setReferencePrice(symbol: string, price: string, ctx: RequestContext) {
      if (!instruments.get(symbol)) throw new AppError('NOT_FOUND', 'Unknown symbol.');
      const parsed = parseDecimal(price, REFERENCE_SCALE);
      if (!parsed.ok || parsed.value === 0n) return invalid('/price', 'a positive decimal price');
      const now = deps.now();
      await setAdminReference(db, symbol, price, ctx.actor, now);
      events.admin('trading.reference_price.set', ctx, symbol, { price });
      return { symbol, price, updatedAt: new Date(now).toISOString() };
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
