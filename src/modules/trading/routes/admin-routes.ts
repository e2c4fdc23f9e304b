/**
 * Trading admin routes (SPEC §5): each action checks one named permission and a recent second
 * factor (step-up); each action is a security event (emitted by the services).
 */
import type { FastifyInstance } from 'fastify';
import type { Permission } from '../../../lib/auth/index.js';
import { requirePermission, requireStepUp } from '../../../server/auth.js';
import type { AdminService, DepositBody } from '../admin-service.js';
import type { InstrumentStatus } from '../instruments/instrument.js';
import type { KillScope } from '../killswitch/store.js';
import type { AccountLimits } from '../risk/limits-store.js';
import type { PayoutRecord, WithdrawalLifecycle } from '../withdrawals/lifecycle.js';
import { contextOf } from './guards.js';
import { adminWithdrawalSchema, asset, dateTime, decimal, depositId, object, reason, riskLimitsBody, riskLimitsResponse, symbol, txId, uuid, withdrawalSchema } from './schemas.js';

const tags = ['trading-admin'];
const security = [{ bearer: [] }];
const userParams = object({ userId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' } }, ['userId']);

export function adminRoutes(deps: { admin: AdminService; withdrawals: WithdrawalLifecycle; now: () => number }) {
  const { admin } = deps;
  const guard = (permission: Permission) => [requirePermission(permission), requireStepUp(deps.now)];
  return (app: FastifyInstance): void => {
    app.put<{ Params: { userId: string }; Body: AccountLimits }>('/v1/admin/risk-limits/:userId', {
      config: { rateLimit: 'admin' },
      preHandler: guard('risk:write'),
      schema: { tags, security, summary: 'Set an account\'s risk limits (replaces earlier ones)', params: userParams, body: riskLimitsBody, response: { 200: riskLimitsResponse } },
    }, async (request) => admin.setRiskLimits(request.params.userId, request.body, contextOf(request)));

    app.post<{ Body: { scope: KillScope; target?: string; engaged: boolean; reason?: string } }>('/v1/admin/kill-switch', {
      config: { rateLimit: 'admin' },
      preHandler: guard('kill-switch:write'),
      schema: {
        tags, security, summary: 'Engage or release a kill switch; engaging cancels resting orders',
        body: object({ scope: { type: 'string', enum: ['global', 'user', 'symbol'] }, target: { type: 'string', minLength: 1, maxLength: 64 }, engaged: { type: 'boolean' }, reason }, ['scope', 'engaged']),
        response: { 200: object({ scope: { type: 'string' }, target: { type: ['string', 'null'] }, engaged: { type: 'boolean' }, cancelledOrders: { type: 'integer' } }, ['scope', 'target', 'engaged', 'cancelledOrders']) },
      },
    }, async (request) => admin.setKillSwitch(request.body, contextOf(request)));

    app.get('/v1/admin/kill-switch', {
      config: { rateLimit: 'admin' },
      preHandler: requirePermission('kill-switch:write'),
      schema: {
        tags, security, summary: 'Engaged kill switches',
        response: { 200: { type: 'array', items: object({ scope: { type: 'string' }, target: { type: ['string', 'null'] }, reason: { type: 'string' }, updatedBy: { type: 'string' }, updatedAt: dateTime }, ['scope', 'target', 'reason', 'updatedBy', 'updatedAt']) } },
      },
    }, async () => admin.killSwitches());

    app.post<{ Params: { userId: string }; Body: DepositBody }>('/v1/admin/accounts/:userId/deposits', {
      config: { rateLimit: 'admin' },
      preHandler: guard('accounts:deposit'),
      schema: {
        tags, security, summary: 'Credit an account once per depositId (audited; a repeat answers the first result)', params: userParams,
        body: object({ depositId, asset, amount: decimal, reason }, ['depositId', 'asset', 'amount', 'reason']),
        response: { 201: object({ depositId: { type: 'string' }, userId: { type: 'string' }, asset: { type: 'string' }, amount: decimal, balance: object({ total: decimal, available: decimal, reserved: decimal }, ['total', 'available', 'reserved']) }, ['depositId', 'userId', 'asset', 'amount', 'balance']) },
      },
    }, async (request, reply) => reply.code(201).send(await admin.deposit(request.params.userId, request.body, contextOf(request))));

    app.put<{ Params: { symbol: string }; Body: { status: InstrumentStatus; reason: string } }>('/v1/admin/instruments/:symbol/status', {
      config: { rateLimit: 'admin' },
      preHandler: guard('kill-switch:write'),
      schema: {
        tags, security, summary: 'Halt or resume trading in a symbol (every replica, from the next request)',
        params: object({ symbol }, ['symbol']), body: object({ status: { type: 'string', enum: ['trading', 'halted'] }, reason }, ['status', 'reason']),
        response: { 200: object({ symbol: { type: 'string' }, status: { type: 'string' } }, ['symbol', 'status']) },
      },
    }, async (request) => admin.setInstrumentStatus(request.params.symbol, request.body, contextOf(request)));

    app.put<{ Params: { symbol: string }; Body: { price: string } }>('/v1/admin/reference-prices/:symbol', {
      config: { rateLimit: 'admin' },
      preHandler: guard('price-sources:write'),
      schema: {
        tags, security, summary: 'Set the fallback reference price of a symbol without a market-data feed',
        params: object({ symbol }, ['symbol']), body: object({ price: decimal }, ['price']),
        response: { 200: object({ symbol: { type: 'string' }, price: decimal, updatedAt: dateTime }, ['symbol', 'price', 'updatedAt']) },
      },
    }, async (request) => admin.setReferencePrice(request.params.symbol, request.body.price, contextOf(request)));

    app.get<{ Querystring: { status: 'held' | 'pending'; limit: number } }>('/v1/admin/withdrawals', {
      config: { rateLimit: 'admin' },
      preHandler: requirePermission('aml:read'),
      schema: {
        tags, security, summary: 'Withdrawals held for review or awaiting payout, oldest first, with their destination',
        querystring: object({ status: { type: 'string', enum: ['held', 'pending'] }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } }, ['status']),
        response: { 200: { type: 'array', items: adminWithdrawalSchema } },
      },
    }, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return deps.withdrawals.list(request.query.status, request.query.limit);
    });

    app.post<{ Params: { id: string }; Body: { decision: 'approve' | 'reject'; reason: string } }>('/v1/admin/withdrawals/:id/review', {
      config: { rateLimit: 'admin' },
      preHandler: guard('aml:write'),
      schema: {
        tags, security, summary: 'Approve (then pay out) or reject (credited back) a withdrawal held for review',
        params: object({ id: uuid }, ['id']), body: object({ decision: { type: 'string', enum: ['approve', 'reject'] }, reason }, ['decision', 'reason']),
        response: { 200: withdrawalSchema },
      },
    }, async (request) => deps.withdrawals.review(request.params.id, request.body.decision, request.body.reason, contextOf(request)));

    app.post<{ Params: { id: string }; Body: { outcome: 'sent' | 'failed'; txId?: string; reason?: string } }>('/v1/admin/withdrawals/:id/payout', {
      config: { rateLimit: 'admin' },
      preHandler: guard('accounts:deposit'),
      schema: {
        tags, security, summary: 'Record the payout of an approved withdrawal: sent (chain transaction id) or failed (credited back)',
        params: object({ id: uuid }, ['id']),
        body: {
          type: 'object',
          oneOf: [
            object({ outcome: { type: 'string', const: 'sent' }, txId }, ['outcome', 'txId']),
            object({ outcome: { type: 'string', const: 'failed' }, reason }, ['outcome', 'reason']),
          ],
        },
        response: { 200: withdrawalSchema },
      },
    }, async (request) => {
      const body = request.body;
      const record: PayoutRecord = body.outcome === 'sent' ? { outcome: 'sent', txId: body.txId as string } : { outcome: 'failed', reason: body.reason as string };
      return deps.withdrawals.recordPayout(request.params.id, record, contextOf(request));
    });
  };
}
