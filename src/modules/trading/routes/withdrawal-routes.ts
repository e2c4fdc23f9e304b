/**
 * `POST /v1/withdrawals` (SPEC §5) and the caller's withdrawal address allowlist. Answers that
 * carry addresses (personal data) are `Cache-Control: no-store`.
 */
import type { FastifyInstance } from 'fastify';
import type { AddressBook } from '../withdrawals/addresses.js';
import type { WithdrawalNotifier } from '../withdrawals/ports.js';
import type { WithdrawalService } from '../withdrawals/service.js';
import type { TradingEvents } from '../events.js';
import { contextOf, principalOf, requireAccess, requireOwnerStepUp, requireWithdrawAccess } from './guards.js';
import { addressSchema, asset, chainAddress, decimal, object, uuid, withdrawalSchema } from './schemas.js';
import { AppError } from '../../../lib/errors/index.js';

const tags = ['withdrawals'];
const security = [{ bearer: [] }];

export function withdrawalRoutes(deps: {
  withdrawals: WithdrawalService; addresses: AddressBook; notifier: WithdrawalNotifier | null; events: TradingEvents;
  knownAsset: (asset: string) => boolean; now: () => number; onError: (error: unknown) => void;
}) {
  return (app: FastifyInstance): void => {
    app.post<{ Body: { asset: string; amount: string; address: string } }>('/v1/withdrawals', {
      config: { rateLimit: 'trading' },
      preHandler: requireWithdrawAccess(deps.now),
      schema: { tags, security, summary: 'Withdraw to an allowlisted address', body: object({ asset, amount: decimal, address: chainAddress }, ['asset', 'amount', 'address']), response: { 201: withdrawalSchema } },
    }, async (request, reply) => {
      const withdrawal = await deps.withdrawals.request(principalOf(request).userId, request.body, contextOf(request));
      return reply.code(201).send(withdrawal);
    });

    app.get('/v1/withdrawals', {
      config: { rateLimit: 'read' },
      preHandler: requireAccess('read'),
      schema: { tags, security, response: { 200: { type: 'array', items: withdrawalSchema } } },
    }, async (request) => deps.withdrawals.list(principalOf(request).userId));

    app.post<{ Body: { asset: string; address: string; label?: string } }>('/v1/withdrawals/addresses', {
      config: { rateLimit: 'default' },
      preHandler: requireOwnerStepUp(deps.now),
      schema: {
        tags, security, summary: 'Allowlist a withdrawal address (usable after the cooling-off period; the owner is notified)',
        body: object({ asset, address: chainAddress, label: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f<>]+$' } }, ['asset', 'address']),
        response: { 201: addressSchema },
      },
    }, async (request, reply) => {
      const { userId } = principalOf(request);
      const body = request.body;
      if (!deps.knownAsset(body.asset)) throw new AppError('ASSET_UNKNOWN', `Unknown asset ${body.asset}.`);
      const added = await deps.addresses.add(userId, body.asset, body.address, body.label ?? body.asset);
      const ctx = contextOf(request);
      deps.events.emit('withdrawal.address.added', ctx, added.addressId, 'success', { userId, asset: added.asset, activatesAt: added.activatesAt, notifyOwner: true });
      deps.notifier?.addressAdded(userId, { asset: added.asset, label: added.label, addressHint: added.address.slice(-4), activatesAt: Date.parse(added.activatesAt) })
        .catch((error: unknown) => {
          deps.onError(error);
          deps.events.emit('withdrawal.address.notify_failed', ctx, added.addressId, 'failure', { userId });
        });
      return reply.code(201).header('cache-control', 'no-store').send(added);
    });

    app.get('/v1/withdrawals/addresses', {
      config: { rateLimit: 'read' },
      preHandler: requireAccess('read'),
      schema: { tags, security, response: { 200: { type: 'array', items: addressSchema } } },
    }, async (request, reply) => reply.header('cache-control', 'no-store').send(await deps.addresses.list(principalOf(request).userId)));

    app.delete<{ Params: { id: string } }>('/v1/withdrawals/addresses/:id', {
      config: { rateLimit: 'default' },
      preHandler: requireOwnerStepUp(deps.now),
      schema: { tags, security, params: object({ id: uuid }, ['id']), response: { 204: { type: 'null' } } },
    }, async (request, reply) => {
      const { userId } = principalOf(request);
      await deps.addresses.remove(userId, request.params.id);
      deps.events.emit('withdrawal.address.removed', contextOf(request), request.params.id, 'success', { userId });
      return reply.code(204).send();
    });
  };
}
