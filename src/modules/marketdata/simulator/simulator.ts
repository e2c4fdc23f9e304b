/**
 * A feed simulator for demos, load tests and benchmarks: several sources publishing signed
 * updates around a common random walk, optionally with one misbehaving source (a constant
 * offset: the outlier attack). Integer arithmetic on prices; the randomness is injectable so
 * tests are reproducible.
 *
 * Sequences start at the round's Unix ms and then increase by at least one per round, so a
 * restarted simulator continues above everything it published before (no self-inflicted
 * replay rejections).
 */
import type { KeyObject } from 'node:crypto';
import { formatDecimal, parseDecimal } from '../../../lib/money/decimal.js';
import { signPriceUpdate, type SignedPriceUpdate } from '../feed/update.js';

export interface SimulatedSource {
  sourceId: string;
  privateKey: KeyObject;
}

export interface SimulatedSymbol {
  symbol: string;
  /** Start price, decimal string. */
  price: string;
  /** Fractional digits published (the symbol policy's priceDecimals). */
  decimals: number;
}

export interface FeedSimulatorOptions {
  sources: readonly SimulatedSource[];
  symbols: readonly SimulatedSymbol[];
  /** Largest step of the common price per round, in bps. */
  volatilityBps?: number;
  /** Largest independent offset of each source from the common price, in bps. */
  spreadBps?: number;
  /** One source publishing `bps` away from everyone else. */
  outlier?: { sourceId: string; bps: number };
  /** Uniform in [0, 1). */
  random?: () => number;
}

export interface FeedSimulator {
  /** One signed update per source and symbol, timestamped `now`. */
  round(now: number): SignedPriceUpdate[];
  /** The common (true) price of a symbol, decimal string. */
  price(symbol: string): string;
}

export function createFeedSimulator(options: FeedSimulatorOptions): FeedSimulator {
  const random = options.random ?? Math.random;
  const volatility = options.volatilityBps ?? 5;
  const spread = options.spreadBps ?? 2;
  const prices = new Map<string, bigint>();
  for (const s of options.symbols) {
    const parsed = parseDecimal(s.price, s.decimals);
    if (!parsed.ok || parsed.value <= 0n) throw new TypeError(`simulator: start price of ${s.symbol} must be positive with at most ${s.decimals} decimals`);
    prices.set(s.symbol, parsed.value);
  }
  const sequences = new Map<string, number>();
  // A symmetric integer in [-bps, bps].
  const draw = (bps: number) => BigInt(Math.floor(random() * (2 * bps + 1)) - bps);
  const moved = (price: bigint, bps: bigint) => {
    const next = price + (price * bps) / 10_000n;
    return next > 0n ? next : 1n;
  };

  return {
    round(now) {
      const updates: SignedPriceUpdate[] = [];
      for (const s of options.symbols) {
        const common = moved(prices.get(s.symbol) as bigint, draw(volatility));
        prices.set(s.symbol, common);
        for (const source of options.sources) {
          let value = moved(common, draw(spread));
          if (options.outlier?.sourceId === source.sourceId) value = moved(value, BigInt(options.outlier.bps));
          const key = `${source.sourceId}|${s.symbol}`;
          const sequence = Math.max((sequences.get(key) ?? 0) + 1, now);
          sequences.set(key, sequence);
          updates.push(signPriceUpdate({ sourceId: source.sourceId, symbol: s.symbol, price: formatDecimal(value, s.decimals), timestamp: now, sequence }, source.privateKey));
        }
      }
      return updates;
    },
    price(symbol) {
      const s = options.symbols.find((x) => x.symbol === symbol);
      const value = prices.get(symbol);
      if (!s || value === undefined) throw new TypeError(`simulator: unknown symbol ${symbol}`);
      return formatDecimal(value, s.decimals);
    },
  };
}
