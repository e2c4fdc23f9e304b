/**
 * Security events of the trading core (SPEC §7, issue item 8): every rejection and every admin
 * action is one event on the bus, which the audit log records. Event types:
 * `risk.rejected`, `order.cancel.rejected`, `trading.kill_switch`, `trading.risk_limits.updated`,
 * `trading.deposit`, `trading.reference_price.set`, `withdrawal.*`.
 */
import { Counter, type Registry } from 'prom-client';
import type { SecurityEventBus } from '../../lib/events/index.js';
import type { Command, RequestContext } from './orders/commands.js';

export interface TradingEvents {
  rejected(command: Command, code: string, reason: string): void;
  admin(type: string, ctx: RequestContext, target: string | null, details: Record<string, unknown>): void;
  emit(type: string, ctx: RequestContext, target: string | null, outcome: 'success' | 'denied' | 'info' | 'failure', details: Record<string, unknown>): void;
}

export function createTradingEvents(events: SecurityEventBus, registry: Registry): TradingEvents {
  const rejections = new Counter({
    name: 'q2_risk_rejections_total', help: 'Orders refused by validation and pre-trade risk checks, by code',
    labelNames: ['code'] as const, registers: [registry],
  });
  const emit: TradingEvents['emit'] = (type, ctx, target, outcome, details) => {
    events.emit({ type, actor: ctx.actor, target, outcome, ip: ctx.ip, requestId: ctx.requestId, details });
  };
  return {
    emit,
    rejected(command, code, reason) {
      if (command.op === 'place') {
        rejections.inc({ code });
        emit('risk.rejected', command.ctx, command.symbol, 'denied', {
          code, reason, userId: command.userId, clientOrderId: command.clientOrderId, side: command.side, type: command.type,
        });
      } else {
        emit('order.cancel.rejected', command.ctx, command.op === 'cancel' ? command.orderId : command.symbol, 'denied', { code, reason });
      }
    },
    admin(type, ctx, target, details) {
      emit(type, ctx, target, 'success', details);
    },
  };
}
