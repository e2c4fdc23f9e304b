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
import type { InstrumentRegistry } from './instruments/registry.js';
import { engagedSwitches, setKillSwitch, type KillScope } from './killswitch/store.js';
import { appendJournal, applyBalanceDeltas, readBalances } from './ledger/accounts.js';
import type { RequestContext } from './orders/commands.js';
import type { MatchingHost } from './ownership/host.js';
import { setAdminReference } from './reference/admin-source.js';
import { REFERENCE_SCALE } from './risk/band.js';
import { describeLimits, writeAccountLimits, type AccountLimits } from './risk/limits-store.js';
import { randomUUID } from 'node:crypto';

export interface AdminDeps {
  db: Kysely<Tables>;
  instruments: InstrumentRegistry;
  host: MatchingHost;
  events: TradingEvents;
  config: TradingConfig;
  now(): number;
}

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
    async deposit(userId: string, body: { asset: string; amount: string; reason: string }, ctx: RequestContext) {
      const scale = instruments.assetScale(body.asset);
      if (scale === undefined) throw new AppError('ASSET_UNKNOWN', `Unknown asset ${body.asset}.`);
      const amount = parseDecimal(body.amount, scale);
      if (!amount.ok || amount.value === 0n) return invalid('/amount', `a positive amount with at most ${scale} decimals`);
      await assertUser(userId);
      const depositId = randomUUID();
      const now = BigInt(deps.now());
      const balance = await db.transaction().execute(async (trx) => {
        await applyBalanceDeltas(trx, [{ userId, asset: body.asset, total: amount.value, reserved: 0n }], now);
        await appendJournal(trx, [{ userId, asset: body.asset, amount: amount.value, kind: 'deposit', refId: depositId }], now);
        return (await readBalances(trx, userId, [body.asset], false)).get(body.asset)!;
      });
      events.admin('trading.deposit', ctx, userId, { depositId, asset: body.asset, amount: body.amount, reason: body.reason });
      return {
        depositId, userId, asset: body.asset, amount: formatDecimal(amount.value, scale),
        balance: { total: formatDecimal(balance.total, scale), available: formatDecimal(balance.total - balance.reserved, scale), reserved: formatDecimal(balance.reserved, scale) },
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
