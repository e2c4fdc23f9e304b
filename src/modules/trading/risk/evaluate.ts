/**
 * Pre-trade risk evaluation: a pure function from (order, limits, account, reference price,
 * book, switches, counters) to a verdict. Modelled on SEC Rule 15c3-5 and exchange practice
 * (CME/Nasdaq): kill switch, halts, message rate, order validity, duplicate ids, size, price
 * band, notional, position (credit) limits, available balance, self-match prevention.
 *
 * Order of checks: switches and market state first (they refuse everything), then the rate
 * (it counts every attempt), then the order itself from cheapest to dearest. An expected
 * rejection is a returned verdict, never an exception.
 */
import { notional, type Instrument } from '../instruments/instrument.js';
import { reservationOf } from '../ledger/settlement.js';
import { wouldSelfTrade, wouldTake } from '../matching/engine.js';
import { protectionPrice, withinBand } from './band.js';
import type { RiskCode, RiskInput, RiskVerdict } from './types.js';

const reject = (code: RiskCode, reason: string): RiskVerdict => ({ ok: false, code, reason });

/** Shape checks that need no account state (tick, lot, minimum, field combinations). */
export function validateOrderShape(instrument: Instrument, order: RiskInput['order']): string | null {
  if (order.type === 'limit' && order.price === null) return 'a limit order needs a price';
  if (order.type === 'market' && order.price !== null) return 'a market order takes no price';
  if (order.type === 'market' && order.timeInForce === 'GTC') return 'a market order is IOC or FOK';
  if (order.postOnly && (order.type !== 'limit' || order.timeInForce !== 'GTC')) return 'post-only needs a GTC limit order';
  if (order.price !== null && (order.price <= 0n || order.price % instrument.tickSize !== 0n)) return 'price is not a positive multiple of the tick size';
  if (order.quantity <= 0n || order.quantity % instrument.lotSize !== 0n) return 'quantity is not a positive multiple of the lot size';
  if (order.quantity < instrument.minQty) return 'quantity below the instrument minimum';
  return null;
}

export function evaluateRisk(input: RiskInput): RiskVerdict {
  const { order, instrument, limits, account, reference } = input;
  if (input.killSwitch.global) return reject('RISK_KILL_SWITCH', 'trading is suspended platform-wide');
  if (input.killSwitch.symbol) return reject('RISK_KILL_SWITCH', `trading in ${order.symbol} is suspended`);
  if (input.killSwitch.user) return reject('RISK_KILL_SWITCH', 'trading is suspended for this account');
  if (instrument.status === 'halted' || reference.status === 'halted') return reject('MARKET_HALTED', `${order.symbol} is halted`);
  if (reference.status !== 'ok' || reference.price === null) return reject('PRICE_STALE', `no fresh reference price for ${order.symbol}`);
  if (input.ordersInWindow > limits.maxOrdersPerWindow) return reject('RISK_ORDER_RATE', 'order rate limit exceeded');

  const shape = validateOrderShape(instrument, order);
  if (shape) return reject('ORDER_INVALID', shape);
  if (input.duplicate) return reject('ORDER_DUPLICATE', 'clientOrderId already used by this account');
  if (order.quantity > instrument.maxQty || order.quantity > limits.maxOrderQuantity) return reject('RISK_MAX_QTY', 'quantity above the limit');

  let executionPrice: bigint;
  if (order.price !== null) {
    if (!withinBand(instrument, order.price, reference.price)) return reject('RISK_PRICE_BAND', 'price outside the band around the reference price');
    executionPrice = order.price;
  } else {
    executionPrice = protectionPrice(instrument, order.side, reference.price);
  }

  const value = notional(instrument, executionPrice, order.quantity);
  if (value < instrument.minNotional) return reject('ORDER_INVALID', 'notional below the instrument minimum');
  if (value > limits.maxOrderNotional) return reject('RISK_MAX_NOTIONAL', 'notional above the limit');

  // Position (credit) limit: the worst case if every open order in this direction fills too.
  if (order.side === 'buy' && account.position + account.open.buy + order.quantity > limits.maxPosition) {
    return reject('RISK_POSITION_LIMIT', 'the order could take the long position beyond the limit');
  }
  if (order.side === 'sell' && -(account.position - account.open.sell - order.quantity) > limits.maxPosition) {
    return reject('RISK_POSITION_LIMIT', 'the order could take the short position beyond the limit');
  }

  const reservation = reservationOf(instrument, order.side, executionPrice, order.quantity);
  const available = reservation.asset === instrument.base ? account.available.base : account.available.quote;
  if (available < reservation.amount) return reject('RISK_INSUFFICIENT_BALANCE', `insufficient available ${reservation.asset}`);

  if (order.postOnly && wouldTake(input.book, order.side, executionPrice)) {
    return reject('ORDER_POST_ONLY_REJECTED', 'a post-only order would take liquidity');
  }
  if (limits.selfTradePrevention === 'reject' &&
      wouldSelfTrade(input.book, { userId: order.userId, side: order.side, price: executionPrice, quantity: order.quantity })) {
    return reject('RISK_SELF_TRADE', 'the order would trade against an order of the same account');
  }
  return { ok: true, executionPrice, reservation };
}
