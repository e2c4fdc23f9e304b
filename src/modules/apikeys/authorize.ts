/**
 * What a verified API key may do on a route, as a pure function. SPEC §4 lists the 403s in this
 * order and they are checked in it: address allowlist, scope, expiry. A route that did not opt in
 * to API keys (no `requireScope`) refuses every key, so a key can never reach account, session,
 * MFA or key-management routes that only check for "some principal".
 */
import { isIpAllowed } from '../network/index.js';
import type { ApiKeyScope } from './types.js';

export interface KeyPolicy {
  scopes: readonly ApiKeyScope[];
  ipAllowlist: readonly string[];
  expiresAt: number | null;
}

export interface RequestFacts {
  ip: string;
  /** The scopes the route requires; undefined when the route does not accept API keys. */
  requiredScopes: readonly ApiKeyScope[] | undefined;
  now: number;
}

export type KeyDecision =
  | { ok: true }
  | { ok: false; code: 'APIKEY_IP_FORBIDDEN' | 'APIKEY_SCOPE_FORBIDDEN' | 'APIKEY_EXPIRED'; reason: string };

export function authorizeKey(key: KeyPolicy, facts: RequestFacts): KeyDecision {
  // A `withdraw` key is created with an allowlist; should one ever have none, an empty list must
  // not mean "anywhere" for withdrawals.
  const unboundWithdrawal = key.ipAllowlist.length === 0 && key.scopes.includes('withdraw') && (facts.requiredScopes?.includes('withdraw') ?? false);
  if (unboundWithdrawal || !isIpAllowed(facts.ip, key.ipAllowlist)) {
    return { ok: false, code: 'APIKEY_IP_FORBIDDEN', reason: 'this API key may not be used from this address' };
  }
  if (facts.requiredScopes === undefined) {
    return { ok: false, code: 'APIKEY_SCOPE_FORBIDDEN', reason: 'this route does not accept API keys' };
  }
  const missing = facts.requiredScopes.find((scope) => !key.scopes.includes(scope));
  if (missing !== undefined) return { ok: false, code: 'APIKEY_SCOPE_FORBIDDEN', reason: `this API key lacks the ${missing} scope` };
  if (key.expiresAt !== null && facts.now >= key.expiresAt) return { ok: false, code: 'APIKEY_EXPIRED', reason: 'this API key has expired' };
  return { ok: true };
}
