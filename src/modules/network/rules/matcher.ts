/**
 * Longest-prefix matching of IP allow/deny rules (the routing-table rule of RFC 4632 §5.1):
 * the most specific block that contains the address decides, so an admin can deny one
 * address inside an allowed partner range and allow one address inside a denied range. At
 * equal length, deny wins. Expired rules never match. Subject rules (user, API key) are
 * exact-key lookups.
 *
 * Cost per lookup: one address parse plus one Map lookup per distinct prefix length in use.
 */
import { parseCidr, parseIp, prefixKey } from '../ip.js';
import type { NetworkRule } from './types.js';

export interface RuleMatcher {
  /** The deciding IP rule for `ip` at `now`, or null when no live rule contains it. */
  matchIp(ip: string, now: number): NetworkRule | null;
  /** The live deny rule on a subject key (`user:<id>`, `apikey:<id>`), or null. */
  subjectBan(subjectKey: string, now: number): NetworkRule | null;
  /** Every rule held (live or expired but not yet purged). */
  rules(): readonly NetworkRule[];
}

type Table = Map<number, Map<string, NetworkRule[]>>;

const live = (rule: NetworkRule, now: number): boolean => rule.expiresAt === null || rule.expiresAt > now;

/** Deny wins at equal specificity; among equals, the longest-lived rule is reported. */
function decide(candidates: readonly NetworkRule[], now: number): NetworkRule | null {
  let best: NetworkRule | null = null;
  for (const rule of candidates) {
    if (!live(rule, now)) continue;
    if (best === null) best = rule;
    else if (rule.action === 'deny' && best.action === 'allow') best = rule;
    else if (rule.action === best.action && (rule.expiresAt === null || (best.expiresAt !== null && rule.expiresAt > best.expiresAt))) best = rule;
  }
  return best;
}

export function createRuleMatcher(rules: readonly NetworkRule[]): RuleMatcher {
  const tables: Record<4 | 6, Table> = { 4: new Map(), 6: new Map() };
  const subjects = new Map<string, NetworkRule[]>();
  for (const rule of rules) {
    if (rule.kind !== 'ip') {
      const key = `${rule.kind}:${rule.subject}`;
      subjects.set(key, [...(subjects.get(key) ?? []), rule]);
      continue;
    }
    const cidr = parseCidr(rule.subject);
    if (!cidr) continue; // stored rules are canonical; an unparsable row is skipped, not fatal
    const table = tables[cidr.family];
    let bucket = table.get(cidr.prefix);
    if (!bucket) {
      bucket = new Map();
      table.set(cidr.prefix, bucket);
    }
    const key = prefixKey(cidr.bytes, cidr.prefix);
    bucket.set(key, [...(bucket.get(key) ?? []), rule]);
  }
  const lengths: Record<4 | 6, number[]> = {
    4: [...tables[4].keys()].sort((a, b) => b - a),
    6: [...tables[6].keys()].sort((a, b) => b - a),
  };
  const all = Object.freeze([...rules]);

  return {
    matchIp(ip, now) {
      if (tables[4].size === 0 && tables[6].size === 0) return null;
      const parsed = parseIp(ip);
      if (!parsed) return null;
      const table = tables[parsed.family];
      for (const prefix of lengths[parsed.family]) {
        const candidates = table.get(prefix)?.get(prefixKey(parsed.bytes, prefix));
        if (!candidates) continue;
        const winner = decide(candidates, now);
        if (winner) return winner;
      }
      return null;
    },
    subjectBan(subjectKey, now) {
      const candidates = subjects.get(subjectKey);
      if (!candidates) return null;
      const winner = decide(candidates, now);
      return winner?.action === 'deny' ? winner : null;
    },
    rules: () => all,
  };
}
