/**
 * The SDK order-load loop shared by the signed-request and trading benchmarks: CONNECTIONS
 * concurrent workers, each alternating between two accounts, posting limit orders that cross
 * (even accounts buy, odd ones sell at one price) until the deadline.
 */
import { randomBytes } from 'node:crypto';

import type { Q2Client } from '../src/client/index.js';
import { CONNECTIONS } from './load.js';

export interface OrderLoadResult { rps: number; p50: number; p99: number; errors: number; codes: Record<string, number> }

export async function driveOrders(clients: Q2Client[], route: string, durationMs: number): Promise<OrderLoadResult> {
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  let errors = 0;
  const deadline = performance.now() + durationMs;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, async (_, worker) => {
    for (let seq = 0; performance.now() < deadline; seq++) {
      const account = (worker * 2 + (seq % 2)) % clients.length;
      const t0 = performance.now();
      try {
        await clients[account]!.request('POST', route, {
          idempotent: true,
          body: {
            clientOrderId: `b-${worker}-${seq}-${randomBytes(4).toString('hex')}`, symbol: 'BTC-USD', side: account % 2 === 0 ? 'buy' : 'sell',
            type: 'limit', quantity: '0.0010', price: '40000.00', timeInForce: 'GTC',
          },
        });
        latencies.push(performance.now() - t0);
      } catch (error) {
        errors++;
        const code = (error as { code?: string }).code ?? 'UNKNOWN';
        codes[code] = (codes[code] ?? 0) + 1;
      }
    }
  }));
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 100) / 100;
  return { rps: latencies.length / ((performance.now() - start) / 1000), p50: at(0.5), p99: at(0.99), errors, codes };
}
