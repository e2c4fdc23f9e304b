/**
 * `/v1/instruments`, `/v1/orders`, `/v1/balances`, `/v1/positions` (SPEC §5). Bearer users or
 * API keys with the `read` / `trade` scope. Another account's order answers 404.
 */
import type { FastifyInstance } from 'fastify';
import { formatDecimal } from '../../../lib/money/decimal.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import type { OrderService, PlaceOrderBody } from '../orders/service.js';
import { contextOf, principalOf, requireAccess } from './guards.js';
import { balanceSchema, instrumentSchema, object, orderSchema, placeOrderBody, signedDecimal, symbol, uuid } from './schemas.js';

const tags = ['trading'];
const security = [{ bearer: [] }];

export function orderRoutes(deps: { orders: OrderService; instruments: InstrumentRegistry }) {
  const { orders, instruments } = deps;
  return (app: FastifyInstance): void => {
    app.get('/v1/instruments', {
      config: { rateLimit: 'read' },
      schema: { tags, summary: 'Tradable instruments and their order rules', response: { 200: { type: 'array', items: instrumentSchema } } },
    }, async () => {
      const live = await orders.instrumentStatuses();
      return instruments.list().map((i) => ({
      symbol: i.symbol, base: i.base, quote: i.quote,
      tickSize: formatDecimal(i.tickSize, i.priceScale), lotSize: formatDecimal(i.lotSize, i.baseScale),
      minQty: formatDecimal(i.minQty, i.baseScale), maxQty: formatDecimal(i.maxQty, i.baseScale),
      minNotional: formatDecimal(i.minNotional, i.quoteScale), priceBandPct: formatDecimal(i.priceBandBps, 2), status: live.get(i.symbol) ?? 'halted',
      }));
    });

    app.post<{ Body: PlaceOrderBody }>('/v1/orders', {
      config: { rateLimit: 'trading' },
      preHandler: requireAccess('trade'),
      schema: { tags, security, summary: 'Place an order (pre-trade risk, then matching)', body: placeOrderBody, response: { 201: orderSchema } },
    }, async (request, reply) => {
      const order = await orders.placeOrder(principalOf(request).userId, request.body, contextOf(request));
      return reply.code(201).send(order);
    });

    app.get<{ Querystring: { status?: 'open' | 'closed'; symbol?: string; limit: number } }>('/v1/orders', {
      config: { rateLimit: 'read' },
      preHandler: requireAccess('read'),
      schema: {
        tags, security, summary: 'List own orders, newest first',
        querystring: object({ status: { type: 'string', enum: ['open', 'closed'] }, symbol, limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } }, []),
        response: { 200: { type: 'array', items: orderSchema } },
      },
    }, async (request) => orders.listOrders(principalOf(request).userId, request.query));

    app.get<{ Params: { id: string } }>('/v1/orders/:id', {
      config: { rateLimit: 'read' },
      preHandler: requireAccess('read'),
      schema: { tags, security, params: object({ id: uuid }, ['id']), response: { 200: orderSchema } },
    }, async (request) => orders.getOrder(principalOf(request).userId, request.params.id));

    app.delete<{ Params: { id: string } }>('/v1/orders/:id', {
      config: { rateLimit: 'trading' },
      preHandler: requireAccess('trade'),
      schema: { tags, security, summary: 'Cancel an open order', params: object({ id: uuid }, ['id']), response: { 200: orderSchema } },
    }, async (request) => orders.cancelOrder(principalOf(request).userId, request.params.id, contextOf(request)));

    app.get('/v1/balances', {
      config: { rateLimit: 'read' },
      preHandler: requireAccess('read'),
      schema: { tags, security, response: { 200: { type: 'array', items: balanceSchema } } },
    }, async (request) => orders.balances(principalOf(request).userId));

    app.get('/v1/positions', {
      config: { rateLimit: 'read' },
      preHandler: requireAccess('read'),
      schema: { tags, security, response: { 200: { type: 'array', items: object({ symbol: { type: 'string' }, quantity: signedDecimal }, ['symbol', 'quantity']) } } },
    }, async (request) => orders.positions(principalOf(request).userId));
  };
}
