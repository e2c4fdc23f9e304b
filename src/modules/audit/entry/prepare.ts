/**
 * Turns an append request into a PreparedEntry: bounded sizes, JSON-safe and well-formed
 * details, personal data pseudonymised. Never throws on odd `details` (an audit entry that
 * cannot be written is worse than a trimmed one); wrong top-level types are programmer errors
 * (TypeError). Every trim is visible in the entry, never silent.
 */
import { canonicalJson } from './canonical.js';
import { personalKindOfKey, personalKindOfValue, type PersonalKind } from './personal.js';
import type { Pseudonymise } from './pseudonym.js';
import { AUDIT_OUTCOMES, type AuditEntryInput, type PreparedEntry } from './types.js';

export const LIMITS = Object.freeze({
  action: 128, actor: 256, target: 256, requestId: 128, ip: 128,
  depth: 8, members: 100, items: 100, string: 2048, detailsBytes: 16_384,
});

const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Well-formed (JCS needs valid Unicode) and at most `max` code units, with a visible marker. */
function bounded(value: string, max: number): string {
  const clean = SURROGATE.test(value) ? value.replace(LONE_SURROGATE, '\uFFFD') : value;
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}

export function prepareEntry(input: AuditEntryInput, now: number, pseudonymise: Pseudonymise): PreparedEntry {
  if (typeof input.action !== 'string' || input.action.length === 0) throw new TypeError('audit action must be a non-empty string');
  if (typeof input.actor !== 'string' || input.actor.length === 0) throw new TypeError('audit actor must be a non-empty string');
  if (!AUDIT_OUTCOMES.includes(input.outcome)) throw new TypeError(`audit outcome must be one of ${AUDIT_OUTCOMES.join(', ')}`);
  const time = input.time ?? now;
  if (!Number.isSafeInteger(time) || time < 0) throw new TypeError('audit time must be non-negative integer Unix milliseconds');

  const identity = (value: string, limit: number) => {
    const kind = personalKindOfValue(value, { phone: true });
    return kind === null ? bounded(value, limit) : pseudonymise(kind, value);
  };
  const ip = input.ip ?? null;
  return {
    time,
    action: bounded(input.action, LIMITS.action),
    actor: identity(input.actor, LIMITS.actor),
    target: input.target == null ? null : identity(String(input.target), LIMITS.target),
    outcome: input.outcome,
    ip: ip === null || ip === '' ? null : pseudonymise('ip', bounded(String(ip), LIMITS.ip)),
    requestId: input.requestId == null ? null : bounded(String(input.requestId), LIMITS.requestId),
    details: canonicalDetails(input.details ?? {}, pseudonymise),
  };
}

/**
 * Canonical JSON (RFC 8785) of the sanitised details, written in one pass with no intermediate
 * object. Oversized details are replaced by a stub saying so.
 */
export function canonicalDetails(details: Readonly<Record<string, unknown>>, pseudonymise: Pseudonymise): string {
  const text = details !== null && typeof details === 'object' && !Array.isArray(details)
    ? serialise(details, 0, null, pseudonymise)
    : `{"value":${serialise(details, 1, null, pseudonymise)}}`;
  // UTF-8 needs at most 3 bytes per UTF-16 code unit: skip the exact count for small details.
  if (text.length * 3 <= LIMITS.detailsBytes || Buffer.byteLength(text) <= LIMITS.detailsBytes) return text;
  const keys = Object.keys(details).sort().slice(0, 20).map((k) => bounded(k, 128));
  return canonicalJson({ _bytes: Buffer.byteLength(text), _keys: keys, _truncated: true });
}

const str = (value: string) => JSON.stringify(value);

/** JSON has no undefined, function or symbol: such members are left out, array items become null. */
const absent = (value: unknown) => value === undefined || typeof value === 'function' || typeof value === 'symbol';

function serialise(value: unknown, depth: number, personal: PersonalKind | null, pseudonymise: Pseudonymise): string {
  switch (typeof value) {
    case 'string': {
      const kind = personal ?? personalKindOfValue(value, { phone: false });
      return str(kind === null ? bounded(value, LIMITS.string) : pseudonymise(kind, bounded(value, LIMITS.string)));
    }
    case 'number':
      if (!Number.isFinite(value)) return 'null';
      return personal === null ? JSON.stringify(value) : str(pseudonymise(personal, String(value)));
    case 'bigint':
      return str(personal === null ? value.toString() : pseudonymise(personal, value.toString()));
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return 'null';
  }
  if (value === null) return 'null';
  if (depth >= LIMITS.depth) return str('…(nested too deep)');
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'null' : str(value.toISOString());
  if (ArrayBuffer.isView(value)) return str(`…(${value.byteLength} bytes of binary)`);
  if (Array.isArray(value)) {
    const items: string[] = [];
    // Index access reads holes as undefined (→ null) where map() would skip them.
    for (let i = 0; i < Math.min(value.length, LIMITS.items); i++) {
      items.push(absent(value[i]) ? 'null' : serialise(value[i], depth + 1, personal, pseudonymise));
    }
    if (value.length > LIMITS.items) items.push(str(`…(${value.length - LIMITS.items} more)`));
    return `[${items.join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const members: [string, string][] = [];
  const names = new Set<string>();
  for (const key of keys.length > LIMITS.members ? [...keys].sort().slice(0, LIMITS.members) : keys) {
    const member = record[key];
    const name = bounded(key, 128);
    // Two over-long names can shorten to the same one; JSON members must stay unique.
    if (absent(member) || names.has(name)) continue;
    names.add(name);
    members.push([name, serialise(member, depth + 1, personal ?? personalKindOfKey(key), pseudonymise)]);
  }
  if (keys.length > LIMITS.members) members.push(['…', str(`${keys.length - LIMITS.members} more members`)]);
  // JCS order: UTF-16 code units, which is what the default comparison of JS strings uses.
  members.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `{${members.map(([k, v]) => `${str(k)}:${v}`).join(',')}}`;
}
