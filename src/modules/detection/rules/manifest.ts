/**
 * The fingerprint of a rule set, for auditing rule changes: each rule as `id@version` plus a
 * SHA-256 of its RFC 8785 canonical JSON, so an edit that forgot to bump `version` still shows.
 */
import { createHash } from 'node:crypto';

import canonicalizeImport from 'canonicalize';

import type { DetectionRule } from './types.js';

// `canonicalize` ships CommonJS whose typings declare an ES default export (see marketdata/feed).
const canonicalize = canonicalizeImport as unknown as (input: unknown) => string | undefined;

export interface RuleSetEntry {
  id: string;
  version: number;
  /** base64url SHA-256 of the canonical rule definition. */
  hash: string;
}

export interface RuleSetChange {
  added: string[];
  removed: string[];
  /** `id@old→id@new`, or `id@v (definition changed, version not bumped)`. */
  changed: string[];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

/** Entries sorted by id: the same rules in any order give the same manifest. */
export function manifestOf(rules: readonly DetectionRule[]): RuleSetEntry[] {
  return rules.map((rule) => ({ id: rule.id, version: rule.version, hash: sha256(canonicalize(rule)!) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** One hash for the whole set (stored and reported, so two records can be compared at a glance). */
export const ruleSetHash = (manifest: readonly RuleSetEntry[]) => sha256(canonicalize(manifest)!);

export function diffRuleSets(before: readonly RuleSetEntry[], after: readonly RuleSetEntry[]): RuleSetChange {
  const old = new Map(before.map((e) => [e.id, e]));
  const now = new Map(after.map((e) => [e.id, e]));
  const change: RuleSetChange = { added: [], removed: [], changed: [] };
  for (const entry of after) {
    const prior = old.get(entry.id);
    if (!prior) change.added.push(`${entry.id}@${entry.version}`);
    else if (prior.version !== entry.version) change.changed.push(`${entry.id}@${prior.version}→${entry.id}@${entry.version}`);
    else if (prior.hash !== entry.hash) change.changed.push(`${entry.id}@${entry.version} (definition changed, version not bumped)`);
  }
  for (const entry of before) if (!now.has(entry.id)) change.removed.push(`${entry.id}@${entry.version}`);
  return change;
}
