/**
 * The signed-request authenticator (SPEC §4): RFC 9421 request → `Principal` of kind `apikey`.
 * Cheap checks first, shared state last:
 *
 * 1. headers parsed, parameters and covered components checked, `created` window, Content-Digest
 *    against the received bytes (no I/O, and nothing that depends on whether the key exists);
 * 2. key lookup (per-replica cache, database on a miss);
 * 3. the signature (constant-time comparison for HMAC);
 * 4. in one round trip to the shared store: the `(keyid, nonce)` claim and the revocation marker;
 * 5. address allowlist, route scope, expiry (the 403s, in SPEC order).
 *
 * Every refusal is a security event (`signature.*`, `apikey.*`) and a metric, never with secrets.
 * Requests without signature headers are left to other authenticators, except on routes that
 * accept API keys, where the missing signature is the answer.
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../lib/auth/index.js';
import type { Clock } from '../../lib/clock/index.js';
import { AppError, type ErrorCode } from '../../lib/errors/index.js';
import type { EventOutcome, SecurityEventBus } from '../../lib/events/index.js';
import type { Authenticator } from '../../server/auth.js';
import { inspectSignature, normaliseAuthority, splitTarget, verifySignature, type HttpFields, type HttpRequestMessage, type SignaturePolicy } from '../signing/index.js';
import { authorizeKey } from './authorize.js';
import type { NonceStore } from './nonces.js';
import './scope.js';
import type { VerificationKeys } from './verification-keys.js';

export type RefusalCode = 'SIGNATURE_MISSING' | 'SIGNATURE_INVALID' | 'SIGNATURE_EXPIRED' | 'REPLAY_DETECTED'
  | 'APIKEY_IP_FORBIDDEN' | 'APIKEY_SCOPE_FORBIDDEN' | 'APIKEY_EXPIRED';

const EVENT_OF: Readonly<Record<RefusalCode, { type: string; outcome: EventOutcome }>> = {
  SIGNATURE_MISSING: { type: 'signature.missing', outcome: 'denied' },
  SIGNATURE_INVALID: { type: 'signature.invalid', outcome: 'failure' },
  SIGNATURE_EXPIRED: { type: 'signature.expired', outcome: 'failure' },
  REPLAY_DETECTED: { type: 'signature.replay', outcome: 'failure' },
  APIKEY_IP_FORBIDDEN: { type: 'apikey.ip_forbidden', outcome: 'denied' },
  APIKEY_SCOPE_FORBIDDEN: { type: 'apikey.scope_forbidden', outcome: 'denied' },
  APIKEY_EXPIRED: { type: 'apikey.expired', outcome: 'denied' },
};

/** Key ids are UUIDs; anything else is refused before a database lookup. */
const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** What a caller is told about an unknown, revoked or wrongly signed key: the same thing. */
const NOT_VERIFIED = 'signature does not verify';

export interface SignedRequestAuthenticatorDeps {
  keys: VerificationKeys;
  nonces: NonceStore;
  events: SecurityEventBus;
  clock: Clock;
  policy: SignaturePolicy;
  onRefused?(code: RefusalCode): void;
}

/** The framework-free message of a Fastify request (raw target, Host as authority). */
export function messageOf(request: FastifyRequest): HttpRequestMessage {
  const scheme = request.protocol === 'https' ? 'https' : 'http';
  const length = request.headers['content-length'];
  return {
    method: request.method,
    scheme,
    authority: normaliseAuthority(request.host, scheme),
    ...splitTarget(request.url),
    // headersDistinct keeps repeated field lines apart (RFC 9421 §2.1 joins them itself); light-my-request lacks it.
    fields: (request.raw as { headersDistinct?: HttpFields }).headersDistinct ?? request.headers,
    hasBody: (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined,
    body: request.rawBody,
  };
}

export function createSignedRequestAuthenticator(deps: SignedRequestAuthenticatorDeps): Authenticator {
  const { keys, nonces, events, clock, policy } = deps;

  /**
   * The refusal as an AppError, after its event and metric. `keyId` is as claimed (maybe forged)
   * unless `verified`; `cause` is for operators only (the client gets `reason`).
   */
  function refuse(request: FastifyRequest, code: RefusalCode, reason: string, about: { keyId?: string; verified?: boolean; cause?: string } = {}): AppError {
    deps.onRefused?.(code);
    const { type, outcome } = EVENT_OF[code];
    const keyId = about.keyId === undefined || about.keyId === '' ? undefined : about.keyId.slice(0, 100);
    events.emit({
      type, outcome,
      // Before a signature verified, the key id is only a claim: the actor is unknown, so an
      // attacker's garbage cannot count against the key owner (network risk signals key on actor).
      actor: about.verified && keyId ? `apikey:${keyId}` : 'anonymous',
      target: keyId ?? null, ip: request.ip, requestId: request.id,
      details: { reason: about.cause ?? reason, method: request.method, route: request.routeOptions.url ?? null, ...(keyId ? { keyId } : {}) },
    });
    const detail = `${reason.charAt(0).toUpperCase()}${reason.slice(1)}${reason.endsWith('.') ? '' : '.'}`;
    return new AppError(code satisfies ErrorCode, detail);
  }

  return async (request) => {
    const requiredScopes = request.routeOptions.config.apiKeyScopes;
    const headers = request.headers;
    if (headers['signature-input'] === undefined && headers.signature === undefined) {
      if (requiredScopes === undefined || request.is404) return null;
      throw refuse(request, 'SIGNATURE_MISSING', 'Sign the request (RFC 9421) with an API key, or present a bearer token.');
    }
    if (request.is404) return null;

    const now = clock.now();
    const message = messageOf(request);
    const inspection = inspectSignature(message, policy, now);
    if (!inspection.ok) throw refuse(request, inspection.code, inspection.reason, { keyId: inspection.keyId });
    const signature = inspection.signature;
    const keyId = signature.params.keyid ?? '';
    const key = KEY_ID.test(keyId) ? await keys.resolve(keyId) : null;
    if (!key) throw refuse(request, 'SIGNATURE_INVALID', NOT_VERIFIED, { keyId, cause: 'unknown or revoked key' });
    const verdict = verifySignature(signature, key.verifying);
    if (!verdict.ok) throw refuse(request, verdict.code, verdict.reason, { keyId, ...(verdict.cause ? { cause: verdict.cause } : {}) });

    let fresh: boolean;
    let revoked: boolean;
    try {
      [fresh, revoked] = await Promise.all([nonces.claim(keyId, signature.params.nonce ?? ''), keys.isRevoked(keyId)]);
    } catch (error) {
      // An answer the store gave itself (a full in-process store: 503 with Retry-After) is not an outage.
      if (error instanceof AppError) throw error;
      // Fail closed: without the shared store neither replay nor revocation can be ruled out.
      throw new AppError('DEPENDENCY_UNAVAILABLE', 'The replay store is unavailable; retry with a new signature.', { cause: error });
    }
    if (revoked) throw refuse(request, 'SIGNATURE_INVALID', NOT_VERIFIED, { keyId, cause: 'revoked key' });
    if (!fresh) throw refuse(request, 'REPLAY_DETECTED', 'this nonce was already used with this key', { keyId });

    const decision = authorizeKey(key, { ip: request.ip, requiredScopes, now });
    if (!decision.ok) throw refuse(request, decision.code, decision.reason, { keyId, verified: true });
    const principal: Principal = {
      kind: 'apikey', userId: key.userId, roles: [], apiKeyId: keyId, scopes: key.scopes,
      // RFC 8176 `swk`: proof of possession of a software-secured key.
      amr: ['swk'], authTime: now,
    };
    return principal;
  };
}
