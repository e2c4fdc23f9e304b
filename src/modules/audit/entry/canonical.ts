/**
 * RFC 8785 (JCS) canonical JSON for the values the sanitiser produces, and the canonical form of
 * an audit entry — the exact bytes under the leaf hash and the exact line of an export.
 *
 * JCS, for our inputs: object members sorted by UTF-16 code units, no whitespace, strings and
 * numbers as ECMAScript JSON.stringify writes them (lone surrogates are replaced by the sanitiser
 * before they get here; numbers are finite).
 */
import type { JsonValue, PreparedEntry } from './types.js';

export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`;
}

/** 32 zero bytes, hex: the `prev` of entry 0. */
export const GENESIS_PREV = '0'.repeat(64);

const str = (s: string) => JSON.stringify(s);
const opt = (s: string | null) => (s === null ? 'null' : JSON.stringify(s));

/**
 * The canonical entry: JCS of {action, actor, details, ip, outcome, prev, requestId, seq, target,
 * time} with the keys already in JCS order. `details` is spliced as stored (it was canonicalised
 * on the way in); if someone rewrote it non-canonically the bytes change and so does the hash.
 * `prev` is the hex leaf hash of entry seq−1, which chains every entry to all before it.
 */
export function canonicalEntry(entry: PreparedEntry, seq: number, prevHex: string): string {
  return `{"action":${str(entry.action)},"actor":${str(entry.actor)},"details":${entry.details},"ip":${opt(entry.ip)},` +
    `"outcome":${str(entry.outcome)},"prev":"${prevHex}","requestId":${opt(entry.requestId)},"seq":${seq},` +
    `"target":${opt(entry.target)},"time":${entry.time}}`;
}
