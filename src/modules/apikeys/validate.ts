/**
 * The rules of SPEC §4 for a new key that a JSON schema cannot express, as a pure function:
 * `publicKey` exactly for `ed25519`; `withdraw` only with an address allowlist; allowlist
 * entries valid IPv4/IPv6 addresses or CIDRs (canonicalised, de-duplicated); expiry in the future.
 */
import { parseCidr } from '../network/index.js';
import { parseEd25519PublicKey } from './key-material.js';
import type { ApiKeyAlgorithm, ApiKeyScope, NewApiKey } from './types.js';

export const MAX_ALLOWLIST_ENTRIES = 64;

export interface ValidKey {
  label: string;
  algorithm: ApiKeyAlgorithm;
  scopes: ApiKeyScope[];
  ipAllowlist: string[];
  expiresAt: number | null;
  /** Canonical SPKI PEM for ed25519. */
  publicKey: string | null;
}

export type Validation = { ok: true; key: ValidKey } | { ok: false; errors: { path: string; message: string }[] };

export function validateNewKey(input: NewApiKey, now: number): Validation {
  const errors: { path: string; message: string }[] = [];
  let publicKey: string | null = null;
  if (input.algorithm === 'ed25519') {
    if (input.publicKey === undefined) errors.push({ path: 'body/publicKey', message: 'required for ed25519' });
    else {
      const parsed = parseEd25519PublicKey(input.publicKey);
      if (parsed.ok) publicKey = parsed.pem;
      else errors.push({ path: 'body/publicKey', message: parsed.reason });
    }
  } else if (input.publicKey !== undefined) {
    errors.push({ path: 'body/publicKey', message: 'hmac-sha256 keys have no public key; the server generates the secret' });
  }

  const allowlist = new Set<string>();
  if (input.ipAllowlist.length > MAX_ALLOWLIST_ENTRIES) errors.push({ path: 'body/ipAllowlist', message: `at most ${MAX_ALLOWLIST_ENTRIES} entries` });
  input.ipAllowlist.slice(0, MAX_ALLOWLIST_ENTRIES).forEach((entry, i) => {
    const cidr = parseCidr(entry);
    if (cidr) allowlist.add(cidr.text);
    else errors.push({ path: `body/ipAllowlist/${i}`, message: 'not an IPv4/IPv6 address or CIDR with zero host bits' });
  });
  const scopes = [...new Set(input.scopes)];
  if (scopes.length === 0) errors.push({ path: 'body/scopes', message: 'at least one scope' });
  if (scopes.includes('withdraw') && input.ipAllowlist.length === 0) {
    errors.push({ path: 'body/ipAllowlist', message: 'a key with the withdraw scope needs a non-empty ipAllowlist' });
  }
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt !== null && !(Number.isSafeInteger(expiresAt) && expiresAt > now)) errors.push({ path: 'body/expiresAt', message: 'must be in the future' });
  const label = input.label.trim();
  if (label.length === 0) errors.push({ path: 'body/label', message: 'must not be blank' });

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, key: { label, algorithm: input.algorithm, scopes, ipAllowlist: [...allowlist], expiresAt, publicKey } };
}
