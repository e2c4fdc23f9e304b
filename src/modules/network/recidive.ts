/**
 * Recidive (after fail2ban's jail of that name): a client refused by the shared limiter
 * `maxOffences` times within `findTimeMs` is banned, and each further ban within the memory
 * period lasts longer, from `banBaseMs` growing by `banFactor` up to `banMaxMs` (the default
 * runs 2 min, 8 min, 32 min, … capped at 3 days, the range Binance applies to IP bans).
 *
 * Counting is in the shared StateStore, so offences on every replica add up. Exactly one
 * caller sees the counter reach `maxOffences` (atomic increment), so concurrent replicas never
 * issue two bans, or skip a level, for one episode.
 */
import type { StateStore } from '../../lib/state/index.js';
import type { RecidiveConfig } from './config.js';

/** Duration of the `level`-th ban (1-based). */
export function banDurationMs(level: number, config: RecidiveConfig): number {
  if (!Number.isInteger(level) || level < 1) throw new TypeError('ban level must be a positive integer');
  const grown = config.banBaseMs * config.banFactor ** (level - 1);
  return Math.min(config.banMaxMs, Math.round(grown));
}

export interface OffenceOutcome {
  offences: number;
  /** Set when this offence earned a ban. */
  ban?: { level: number; durationMs: number };
}

export interface OffenceTracker {
  /** Counts one offence for the client; returns the ban to issue when this one crossed the line. */
  offend(clientKey: string): Promise<OffenceOutcome>;
}

export function createOffenceTracker(state: StateStore, config: RecidiveConfig): OffenceTracker {
  return {
    async offend(clientKey) {
      const offencesKey = `net:off:${clientKey}`;
      const offences = await state.increment(offencesKey, 1, config.findTimeMs);
      if (offences !== config.maxOffences) return { offences };
      // Start the next episode from zero; the level remembers this one.
      await state.delete(offencesKey);
      const level = await state.increment(`net:lvl:${clientKey}`, 1, config.levelMemoryMs);
      return { offences, ban: { level, durationMs: banDurationMs(level, config) } };
    },
  };
}
