/**
 * Keyed-hash pseudonyms (GDPR Art. 4(5)): `ps:<kind>:<22 base64url chars>` =
 * HMAC-SHA256(key, kind ‖ 0x00 ‖ normalised value) truncated to 128 bits. The clear value never
 * enters the log, so erasing a person elsewhere never requires touching (and breaking) the chain;
 * the key stays outside the database, so the database alone cannot be brute-forced back to
 * emails or IPs. The same value always maps to the same pseudonym, which keeps correlation
 * ("every login from this IP") and lets an operator search by computing the pseudonym.
 */
import { createHmac, type KeyObject } from 'node:crypto';

import { normalisePersonal, type PersonalKind } from './personal.js';

export type Pseudonymise = (kind: PersonalKind, value: string) => string;

const PSEUDONYM = /^ps:[a-z]+:[A-Za-z0-9_-]{22}$/;
/** Distinct values remembered (least recently used dropped first): about 10 MB. */
const CACHE_LIMIT = 50_000;

/** True for a value that already is a pseudonym (it is kept as is, never hashed twice). */
export function isPseudonym(value: string): boolean {
  return PSEUDONYM.test(value);
}

export function createPseudonymiser(key: KeyObject | Buffer): Pseudonymise {
  if (Buffer.isBuffer(key) && key.length < 32) throw new TypeError('the pseudonym key must be at least 32 bytes');
  // Actors and IPs repeat constantly; caching skips an HMAC per repeat.
  const cache = new Map<string, string>();
  return (kind, value) => {
    // Keyed by the value as given, so a repeat costs one Map lookup (no normalising, no HMAC).
    const seen = `${kind}\u0000${value}`;
    const hit = cache.get(seen);
    if (hit !== undefined) {
      // Map keeps insertion order: re-inserting makes this the most recently used.
      cache.delete(seen);
      cache.set(seen, hit);
      return hit;
    }
    let pseudonym = value;
    if (!isPseudonym(value)) {
      const input = `${kind}\u0000${normalisePersonal(kind, value)}`;
      pseudonym = `ps:${kind}:${createHmac('sha256', key).update(input, 'utf8').digest().subarray(0, 16).toString('base64url')}`;
    }
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(seen, pseudonym);
    return pseudonym;
  };
}
