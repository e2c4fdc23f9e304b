/**
 * Trading core benchmarks, each against a baseline measured in the same run:
 * (0) signed limit orders end to end over HTTPS with the SDK against a bare Fastify POST route
 *     (bench/trading-e2e.ts: processes, TLS, SQLite and optionally PostgreSQL);
 * (1) the pre-trade risk evaluation alone (target p99 ≤ 20 µs) against the cost of the timer
 *     around it, on a book of 2,000 resting orders, with self-trade and post-only walks;
 * (2) the matching engine alone against the npm package `nodejs-order-book` (floats) on the
 *     same deterministic order stream (target: at least its throughput, with integer
 *     arithmetic). Both engines must end with the same traded volume and book, or the run fails.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { addResting, applyMatch, createOrderBook, defineInstrument, depth, evaluateRisk, matchOrder, REFERENCE_SCALE } from '../src/modules/trading/index.js';
import type { IncomingOrder, RiskInput } from '../src/modules/trading/index.js';
import { benchTradingEndToEnd } from './trading-e2e.js';

interface BaselineBook {
  limit(options: { side: 'buy' | 'sell'; id: string; size: number; price: number; timeInForce?: 'GTC' | 'IOC' | 'FOK' }): { done: { id: string }[]; partial: unknown; quantityLeft: number; err: unknown };
  market(options: { side: 'buy' | 'sell'; size: number }): { quantityLeft: number; err: unknown };
  depth(): [[number, number][], [number, number][]];
}
// The package's type declarations point at a missing file, so its surface is typed here.
const { OrderBook } = createRequire(import.meta.url)('nodejs-order-book') as { OrderBook: new () => BaselineBook };

const BTC = defineInstrument({
  symbol: 'BTC-USD', base: 'BTC', quote: 'USD', baseScale: 8, quoteScale: 6, priceScale: 2, tickSize: 1n, lotSize: 10_000n,
  minQty: 10_000n, maxQty: 10_000_000_000n, minNotional: 10_000_000n, priceBandBps: 500n,
  maxOrderNotional: 10n ** 12n, maxPosition: 10n ** 11n, status: 'trading',
});

/** Deterministic PRNG (mulberry32) so every engine sees the same stream. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pct = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;

function timeEach(n: number, fn: (i: number) => unknown): Float64Array {
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    fn(i);
    samples[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  return samples.sort();
}

function riskBench(): string {
  const book = createOrderBook('BTC-USD');
  const rand = prng(7);
  for (let i = 0; i < 2_000; i++) {
    const buy = i % 2 === 0;
    const price = buy ? 5_990_000n - BigInt(Math.floor(rand() * 100_000)) : 6_010_000n + BigInt(Math.floor(rand() * 100_000));
    addResting(book, { id: `r${i}`, userId: `u${i % 50}`, side: buy ? 'buy' : 'sell', price, remaining: 10_000n * BigInt(1 + (i % 20)), seq: BigInt(i) });
  }
  const inputs: RiskInput[] = Array.from({ length: 1_000 }, (_, i) => ({
    order: {
      userId: `u${i % 60}`, symbol: 'BTC-USD', clientOrderId: `c${i}`, side: i % 2 === 0 ? 'buy' : 'sell', type: i % 10 === 0 ? 'market' : 'limit',
      quantity: 10_000n * BigInt(1 + (i % 30)), price: i % 10 === 0 ? null : 5_950_000n + BigInt(Math.floor(rand() * 100_000)),
      timeInForce: i % 10 === 0 ? 'IOC' : 'GTC', postOnly: i % 7 === 0 && i % 10 !== 0,
    },
    instrument: BTC,
    limits: { maxOrderQuantity: 10n ** 10n, maxOrderNotional: 10n ** 13n, maxPosition: 10n ** 11n, maxOrdersPerWindow: 100, selfTradePrevention: 'reject' },
    account: { available: { base: 10n ** 10n, quote: 10n ** 14n }, position: 0n, open: { buy: 0n, sell: 0n } },
    reference: { status: 'ok', price: 60_000n * 10n ** BigInt(REFERENCE_SCALE) },
    book,
    killSwitch: { global: false, user: false, symbol: false },
    duplicate: false,
    ordersInWindow: 1,
  }));
  const n = 200_000;
  let accepted = 0;
  timeEach(20_000, (i) => evaluateRisk(inputs[i % inputs.length] as RiskInput)); // warm-up
  const empty = timeEach(n, () => undefined);
  const risk = timeEach(n, (i) => {
    if (evaluateRisk(inputs[i % inputs.length] as RiskInput).ok) accepted++;
  });
  const row = (name: string, s: Float64Array) => `| ${name} | ${pct(s, 50).toFixed(2)} | ${pct(s, 99).toFixed(2)} | ${pct(s, 99.9).toFixed(2)} |`;
  return [
    '### Pre-trade risk evaluation (`evaluateRisk`, pure)',
    '',
    `${n.toLocaleString('en')} evaluations over 1,000 distinct orders (limit, market, post-only; ${Math.round((accepted / n) * 100)} % accepted) against a book of 2,000 resting orders; every check runs, including the self-trade walk. Times in µs per call.`,
    '',
    '| path | p50 µs | p99 µs | p99.9 µs |',
    '|---|---:|---:|---:|',
    row('baseline: the timer around an empty call', empty),
    row('`evaluateRisk`', risk),
    '',
    `Target p99 ≤ 20 µs: ${pct(risk, 99) <= 20 ? 'met' : 'NOT met'} (p99 ${pct(risk, 99).toFixed(2)} µs).`,
  ].join('\n');
}

interface StreamOrder { id: string; side: 'buy' | 'sell'; market: boolean; ticks: number; lots: number; tif: 'GTC' | 'IOC' }

function orderStream(n: number): StreamOrder[] {
  const rand = prng(42);
  return Array.from({ length: n }, (_, i) => {
    const side = rand() < 0.5 ? 'buy' : 'sell';
    const market = rand() < 0.05;
    // Prices around a mid of 60,000.00 in ticks, skewed so limits often cross.
    const offset = Math.floor(rand() * 200) - (side === 'buy' ? 80 : 120);
    return { id: `o${i}`, side, market, ticks: 6_000_000 + offset, lots: 1 + Math.floor(rand() * 20), tif: rand() < 0.1 ? 'IOC' : 'GTC' };
  });
}

function runOurs(stream: StreamOrder[]): { ms: number; traded: bigint; bids: number; asks: number } {
  const book = createOrderBook('BTC-USD');
  let traded = 0n;
  const orders: IncomingOrder[] = stream.map((o, i) => ({
    id: o.id, userId: o.id, side: o.side, price: o.market ? null : BigInt(o.ticks), quantity: BigInt(o.lots) * BTC.lotSize,
    timeInForce: o.market ? 'IOC' : o.tif, postOnly: false, seq: BigInt(i),
  }));
  const start = performance.now();
  for (const order of orders) {
    const result = matchOrder(book, order, 'cancel-resting');
    applyMatch(book, order, result);
    if (result.kind === 'executed') traded += result.filled;
  }
  const ms = performance.now() - start;
  return { ms, traded: traded / BTC.lotSize, bids: depth(book, 'buy').length, asks: depth(book, 'sell').length };
}

function runBaseline(stream: StreamOrder[]): { ms: number; traded: bigint; bids: number; asks: number } {
  const book = new OrderBook();
  let traded = 0;
  const start = performance.now();
  for (const o of stream) {
    const result = o.market ? book.market({ side: o.side, size: o.lots }) : book.limit({ side: o.side, id: o.id, size: o.lots, price: o.ticks, timeInForce: o.tif });
    traded += o.lots - result.quantityLeft;
  }
  const ms = performance.now() - start;
  const [asks, bids] = book.depth();
  return { ms, traded: BigInt(traded), bids: bids.length, asks: asks.length };
}

function matchingBench(): string {
  const n = 200_000;
  const stream = orderStream(n);
  runOurs(stream.slice(0, 20_000));
  runBaseline(stream.slice(0, 20_000));
  const ours: number[] = [];
  const base: number[] = [];
  let check = '';
  for (let round = 0; round < 5; round++) {
    const a = runOurs(stream);
    const b = runBaseline(stream);
    ours.push(n / (a.ms / 1000));
    base.push(n / (b.ms / 1000));
    if (a.traded !== b.traded || a.bids !== b.bids || a.asks !== b.asks) {
      throw new Error(`engines disagree: ours traded ${a.traded} lots (${a.bids}/${a.asks} levels), baseline ${b.traded} (${b.bids}/${b.asks})`);
    }
    check = `both engines traded ${a.traded.toLocaleString('en')} lots and left ${a.bids} bid / ${a.asks} ask levels`;
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
  const ratio = median(ours) / median(base);
  return [
    '### Matching engine alone vs `nodejs-order-book`',
    '',
    `The same deterministic stream of ${n.toLocaleString('en')} orders (95 % limit GTC/IOC around the mid, 5 % market) through each engine in memory; median of 5 alternating rounds after a warm-up. Ours: bigint ticks and lots, price-time priority, self-trade check on every maker, outcome computed without mutation then applied (the order service's two-phase use). Baseline: \`nodejs-order-book\` 10.x (JS numbers), limit and market calls. Sanity: ${check}.`,
    '',
    '| engine | orders/s (median) | min | max |',
    '|---|---:|---:|---:|',
    `| baseline: nodejs-order-book | ${Math.round(median(base)).toLocaleString('en')} | ${Math.round(Math.min(...base)).toLocaleString('en')} | ${Math.round(Math.max(...base)).toLocaleString('en')} |`,
    `| q2 \`matchOrder\` + \`applyMatch\` (bigint) | ${Math.round(median(ours)).toLocaleString('en')} | ${Math.round(Math.min(...ours)).toLocaleString('en')} | ${Math.round(Math.max(...ours)).toLocaleString('en')} |`,
    '',
    `Target (at least the baseline's throughput): ${ratio >= 1 ? 'met' : 'NOT met'} (${(ratio * 100).toFixed(0)} % of the baseline).`,
  ].join('\n');
}

export async function benchTrading(): Promise<string> {
  return [
    '## Trading core',
    '',
    `Command: \`npm run bench trading\` (builds, then \`node dist/bench/run.js trading\`; sources \`bench/trading.ts\`, \`bench/trading-e2e.ts\`; \`Q2_BENCH_DATABASE_URL=postgres://…\` adds the PostgreSQL row). ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} at the start.`,
    '',
    await benchTradingEndToEnd(),
    '',
    'The next two measure the pure functions only (one process, no I/O).',
    '',
    riskBench(),
    '',
    matchingBench(),
    '',
  ].join('\n');
}
