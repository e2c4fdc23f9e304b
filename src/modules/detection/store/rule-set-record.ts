/**
 * The active rule set as last recorded by the cluster, in the shared StateStore (no expiry):
 * at boot each replica swaps in its own manifest with compare-and-swap, and only the replica
 * whose swap replaced a different manifest reports the change, so a rule change is announced
 * once per cluster, however many replicas boot with it.
 *
 * On the in-process store the record lives as long as the process: every boot of a single
 * memory-backed node reports its whole rule set as added (documented in docs/detection.md).
 */
import type { StateStore } from '../../../lib/state/index.js';
import { updateJson } from '../engine/cas-update.js';
import { diffRuleSets, ruleSetHash, type RuleSetChange, type RuleSetEntry } from '../rules/manifest.js';

const KEY = 'det:rules:active';
/** CAS needs a TTL argument; a decade is "as long as the store keeps data". */
const KEEP_MS = 10 * 365 * 24 * 60 * 60_000;

interface Record { hash: string; rules: RuleSetEntry[] }

export interface RecordedChange extends RuleSetChange {
  ruleSet: string;
  previousRuleSet: string | null;
}

/** Records the manifest; returns the change when this caller is the one that recorded it, else null. */
export async function recordRuleSet(state: StateStore, manifest: readonly RuleSetEntry[]): Promise<RecordedChange | null> {
  const hash = ruleSetHash(manifest);
  const result = await updateJson<Record>(state, KEY, KEEP_MS, (previous) => (previous?.hash === hash ? undefined : { hash, rules: [...manifest] }));
  if (!result) return null;
  return { ...diffRuleSets(result.previous?.rules ?? [], manifest), ruleSet: hash, previousRuleSet: result.previous?.hash ?? null };
}
