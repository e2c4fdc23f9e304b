/** What the WebAuthn ceremonies share: relying party, stores, clock, events, policy. */
import type { Clock } from '../../../lib/clock/index.js';
import type { MfaEvents } from '../events.js';
import type { MfaPolicy } from '../policy.js';
import type { ChallengeStore } from './challenge-store.js';
import type { CredentialRepository } from './credential-repository.js';

export interface RelyingParty {
  /** RP ID: the registrable domain the credentials are scoped to, e.g. `q2.example`. */
  rpId: string;
  rpName: string;
  /** Exact origins allowed in clientDataJSON, e.g. `https://q2.example`. */
  origins: readonly string[];
}

export interface WebAuthnContext {
  rp: RelyingParty;
  credentials: CredentialRepository;
  registrations: ChallengeStore<{ challenge: string; userHandle: string }>;
  authentications: ChallengeStore<{ challenge: string; userId: string | null }>;
  clock: Clock;
  events: MfaEvents;
  policy: MfaPolicy['webauthn'];
}

/** Algorithms we verify: Ed25519, ES256, RS256 (COSE ids; WebAuthn §5.8.5 recommends these). */
export const SUPPORTED_ALGORITHMS = [-8, -7, -257];

/**
 * Buckets a verifier error into a fixed vocabulary for security events. Library messages echo
 * attacker-controlled values (origins, challenges), so they never go into events verbatim.
 */
export function classifyFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  if (/origin/i.test(message)) return 'origin';
  if (/RP ?ID/i.test(message)) return 'rp_id';
  if (/user verification/i.test(message)) return 'user_verification';
  if (/user (was )?not present|user presence/i.test(message)) return 'user_presence';
  if (/challenge/i.test(message)) return 'challenge';
  if (/signature/i.test(message)) return 'signature';
  return 'malformed';
}

export function assertRelyingParty(rp: RelyingParty): void {
  if (typeof rp.rpId !== 'string' || !/^[a-z0-9.-]{1,253}$/.test(rp.rpId)) throw new TypeError('WebAuthn rpId must be a lower-case host name');
  if (typeof rp.rpName !== 'string' || rp.rpName.length === 0 || rp.rpName.length > 64) throw new TypeError('WebAuthn rpName must be 1..64 characters');
  if (!Array.isArray(rp.origins) || rp.origins.length === 0) throw new TypeError('WebAuthn needs at least one origin');
  for (const origin of rp.origins) {
    const url = new URL(origin);
    // WebAuthn requires a secure context; the origin's host must be the RP ID or below it.
    const secure = url.protocol === 'https:' || (url.protocol === 'http:' && url.hostname === 'localhost');
    const host = url.hostname;
    if (!secure || url.origin !== origin || (host !== rp.rpId && !host.endsWith(`.${rp.rpId}`))) {
      throw new TypeError(`WebAuthn origin ${origin} is not a secure origin within RP ID ${rp.rpId}`);
    }
  }
}
