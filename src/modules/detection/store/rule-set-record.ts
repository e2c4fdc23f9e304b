/**
 * The active rule set as last recorded by the cluster, in the database's versioned settings
 * (durable, shared by every replica, kept across restarts): at boot each replica swaps in its
 * own manifest with compare-and-swap, and only the replica whose swap replaced a different
 * manifest reports the change. So a rule change is announced once per cluster, however many
 * replicas (or CLI commands) boot with it, and an unchanged restart announces nothing.
 */
import type { SettingsRepository } from '../../../lib/db/index.js';
import { diffRuleSets, ruleSetHash, type RuleSetChange, type RuleSetEntry } from '../rules/manifest.js';

const KEY = 'detection.rules.active';
/** Concurrent boots retry a lost swap; a handful of rounds settles any realistic replica count. */
const MAX_ROUNDS = 20;

interface Recorded { hash: string; rules: RuleSetEntry[] }

export interface RecordedChange extends RuleSetChange {
  ruleSet: string;
  previousRuleSet: string | null;
}

function asRecorded(value: unknown): Recorded | null {
  if (value === null || typeof value !== 'object') return null;
  const { hash, rules } = value as Partial<Recorded>;
  return typeof hash === 'string' && Array.isArray(rules) ? { hash, rules } : null;
}

/** Records the manifest; returns the change when this caller is the one that recorded it, else null. */
export async function recordRuleSet(settings: SettingsRepository, manifest: readonly RuleSetEntry[]): Promise<RecordedChange | null> {
  const hash = ruleSetHash(manifest);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const current = await settings.get(KEY);
    const previous = current === null ? null : asRecorded(current.value);
    if (previous?.hash === hash) return null;
    const swap = await settings.put(KEY, { hash, rules: [...manifest] }, current?.version ?? null);
    if (swap.ok) return { ...diffRuleSets(previous?.rules ?? [], manifest), ruleSet: hash, previousRuleSet: previous?.hash ?? null };
  }
  throw new Error('the detection rule set could not be recorded: the setting keeps changing');
}
