/**
 * RFC 9530 `Content-Digest`: a Structured Fields Dictionary of `algorithm=:base64 digest:`.
 * Q2 accepts `sha-256` and `sha-512` (the two the RFC registers as "standard"); other members
 * are ignored, and every member Q2 understands must match the content, compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseDictionary } from 'structured-headers';

export const DIGEST_ALGORITHMS = ['sha-256', 'sha-512'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

const HASH_OF: Readonly<Record<DigestAlgorithm, string>> = { 'sha-256': 'sha256', 'sha-512': 'sha512' };
/** A digest header is a few dozen bytes; anything far beyond is not a digest worth parsing. */
const MAX_HEADER_LENGTH = 1024;

/** The `Content-Digest` field value for `body`, e.g. `sha-256=:X48E…:`. */
export function contentDigest(body: Uint8Array, algorithm: DigestAlgorithm = 'sha-256'): string {
  return `${algorithm}=:${createHash(HASH_OF[algorithm]).update(body).digest('base64')}:`;
}

export type DigestVerdict = { ok: true } | { ok: false; reason: string };

/** Checks a received `Content-Digest` value against the received content bytes. */
export function checkContentDigest(header: string | undefined, body: Uint8Array): DigestVerdict {
  if (header === undefined || header.length === 0) return { ok: false, reason: 'Content-Digest header missing' };
  if (header.length > MAX_HEADER_LENGTH) return { ok: false, reason: 'Content-Digest header too long' };
  let members;
  try {
    members = parseDictionary(header);
  } catch {
    return { ok: false, reason: 'Content-Digest is not a structured dictionary' };
  }
  let checked = 0;
  for (const [name, member] of members) {
    if (!(DIGEST_ALGORITHMS as readonly string[]).includes(name)) continue;
    const value = member[0];
    if (!(value instanceof ArrayBuffer)) return { ok: false, reason: `Content-Digest ${name} is not a byte sequence` };
    const expected = createHash(HASH_OF[name as DigestAlgorithm]).update(body).digest();
    const received = new Uint8Array(value);
    if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
      return { ok: false, reason: 'Content-Digest does not match the body' };
    }
    checked++;
  }
  return checked > 0 ? { ok: true } : { ok: false, reason: 'Content-Digest has no sha-256 or sha-512 member' };
}
