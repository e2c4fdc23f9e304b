/**
 * Trading admin routes (SPEC §5): each checks one named permission and a recent second factor
 * (step-up); each action is a security event (emitted by the admin service).
 */
import type { FastifyInstance } from 'fastify';
import type { Permission } from '../../../lib/auth/index.js';
import { requirePermission, requireStepUp } from '../../../server/auth.js';
import type { AdminService } from '../admin-service.js';
import type { KillScope } from '../killswitch/store.js';
import type { AccountLimits } from '../risk/limits-store.js';
import type { WithdrawalService } from '../withdrawals/service.js';
import { contextOf } from './guards.js';
import { asset, dateTime, decimal, object, reason, riskLimitsBody, riskLimitsResponse, symbol, uuid, withdrawalSchema } from './schemas.js';

const tags = ['trading-admin'];
const security = [{ bearer: [] }];
const userParams = object({ userId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' } }, ['userId']);

export function adminRoutes(deps: { admin: AdminService; withdrawals: WithdrawalService; now: () => number }) {
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

    app.post<{ Params: { userId: string }; Body: { asset: string; amount: string; reason: string } }>('/v1/admin/accounts/:userId/deposits', {
      config: { rateLimit: 'admin' },
      preHandler: guard('accounts:deposit'),
      schema: {
        tags, security, summary: 'Credit an account (audited)', params: userParams,
        body: object({ asset, amount: decimal, reason }, ['asset', 'amount', 'reason']),
        response: { 201: object({ depositId: { type: 'string' }, userId: { type: 'string' }, asset: { type: 'string' }, amount: decimal, balance: object({ total: decimal, available: decimal, reserved: decimal }, ['total', 'available', 'reserved']) }, ['depositId', 'userId', 'asset', 'amount', 'balance']) },
      },
    }, async (request, reply) => reply.code(201).send(await admin.deposit(request.params.userId, request.body, contextOf(request))));

    app.put<{ Params: { symbol: string }; Body: { price: string } }>('/v1/admin/reference-prices/:symbol', {
      config: { rateLimit: 'admin' },
      preHandler: guard('price-sources:write'),
      schema: {
        tags, security, summary: 'Set the fallback reference price of a symbol without a market-data feed',
        params: object({ symbol }, ['symbol']), body: object({ price: decimal }, ['price']),
        response: { 200: object({ symbol: { type: 'string' }, price: decimal, updatedAt: dateTime }, ['symbol', 'price', 'updatedAt']) },
      },
    }, async (request) => admin.setReferencePrice(request.params.symbol, request.body.price, contextOf(request)));

    app.post<{ Params: { id: string }; Body: { decision: 'approve' | 'reject'; reason: string } }>('/v1/admin/withdrawals/:id/review', {
      config: { rateLimit: 'admin' },
      preHandler: guard('aml:write'),
      schema: {
        tags, security, summary: 'Release or refuse a withdrawal held for review',
        params: object({ id: uuid }, ['id']), body: object({ decision: { type: 'string', enum: ['approve', 'reject'] }, reason }, ['decision', 'reason']),
        response: { 200: withdrawalSchema },
      },
    }, async (request) => deps.withdrawals.review(request.params.id, request.body.decision, request.body.reason, contextOf(request)));
  };
}
