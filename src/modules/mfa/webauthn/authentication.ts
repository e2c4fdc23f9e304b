/**
 * WebAuthn authentication ceremony (W3C WebAuthn L3 §7.2), as a second factor (challenge bound
 * to a user) or passwordless (discoverable credential: the user comes from the credential and
 * must match the asserted user handle).
 *
 * Signature counter (§6.1.1): a counter that does not increase is treated as a cloned
 * authenticator — the assertion is rejected and `mfa.webauthn.counter_regression` is emitted.
 * The library's own counter check runs before the signature check, so it cannot tell a clone
 * from garbage; we pass it counter 0 and compare after the signature verified, so only a
 * holder of the private key can raise the clone alarm.
 */
import { createHash } from 'node:crypto';

import {
  generateAuthenticationOptions, verifyAuthenticationResponse, type AuthenticatorTransportFuture, type VerifiedAuthenticationResponse,
} from '@simplewebauthn/server';

import { AppError } from '../../../lib/errors/index.js';
import type { EventContext, FailureReason, WebAuthnAuthenticationVerdict, WebAuthnService } from '../types.js';
import { classifyFailure, type WebAuthnContext } from './context.js';
import type { StoredCredential } from './credential-repository.js';
import { isAuthenticationResponse } from './response-schemas.js';

/** RFC 8176: hardware-backed key plus user verification (PIN or biometric) — two factors. */
export const PASSKEY_AMR: readonly string[] = Object.freeze(['hwk', 'user']);

function authenticationKey(challengeKey: string): string {
  if (typeof challengeKey !== 'string' || challengeKey.length === 0 || challengeKey.length > 2048) {
    throw new TypeError('challengeKey must be a string of 1..2048 characters');
  }
  // Hashed: the pending-login key may be a bearer token and must not sit in Redis as-is.
  return `mfa:wa:auth:${createHash('sha256').update(challengeKey).digest('base64url')}`;
}

export function createAuthentication(ctx: WebAuthnContext): Pick<WebAuthnService, 'authenticationOptions' | 'verifyAuthentication'> {
  const { rp, credentials, authentications, clock, events, policy } = ctx;

  const fail = (actor: string, reason: FailureReason, check: string, ectx?: EventContext, target?: string): WebAuthnAuthenticationVerdict => {
    events.emit('mfa.webauthn.failed', 'failure', { actor, target: target ?? actor }, ectx, { method: 'webauthn', reason, check });
    return { ok: false, reason };
  };

  async function verifySignature(response: Parameters<typeof verifyAuthenticationResponse>[0]['response'], challenge: string, credential: StoredCredential) {
    return verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: [...rp.origins],
      expectedRPID: rp.rpId,
      // Counter 0 disables the library's pre-signature counter check; ours follows below.
      credential: { id: credential.credentialId, publicKey: credential.publicKey, counter: 0 },
      requireUserVerification: true,
    });
  }

  return {
    async authenticationOptions(challengeKey, userId, ectx) {
      const key = authenticationKey(challengeKey);
      let allow: StoredCredential[] = [];
      if (userId !== undefined) {
        allow = await credentials.listByUser(userId);
        if (allow.length === 0) throw new AppError('MFA_METHOD_UNAVAILABLE', 'No passkey is registered for this account.');
      }
      const options = await generateAuthenticationOptions({
        rpID: rp.rpId,
        allowCredentials: allow.map((c) => ({ id: c.credentialId, transports: c.transports as AuthenticatorTransportFuture[] })),
        userVerification: 'required',
        timeout: policy.timeoutMs,
      });
      await authentications.put(key, { challenge: options.challenge, userId: userId ?? null }, policy.challengeTtlMs);
      events.emit('mfa.webauthn.challenge_issued', 'info', { actor: userId ?? 'anonymous' }, ectx, { method: 'webauthn', passwordless: userId === undefined });
      return options;
    },

    async verifyAuthentication(challengeKey, response, ectx) {
      // Consumed first: whatever happens next, this challenge cannot be tried again.
      const pending = await authentications.consume(authenticationKey(challengeKey));
      if (pending.status === 'used') return fail('anonymous', 'replayed', 'challenge', ectx);
      if (pending.status !== 'ok') return fail('anonymous', 'expired', 'challenge', ectx);
      const bound = pending.payload.userId;
      const actor = bound ?? 'anonymous';
      if (!isAuthenticationResponse(response)) return fail(actor, 'invalid', 'malformed', ectx);

      const credential = await credentials.get(response.id);
      if (credential === null) return fail(actor, 'invalid', 'unknown_credential', ectx);
      if (bound !== null && credential.userId !== bound) return fail(actor, 'invalid', 'credential_of_other_user', ectx);
      // Passwordless: the authenticator must name the account (§7.2 step 6); second factor: if it
      // names one, it must be this credential's.
      const handle = response.response.userHandle;
      if ((bound === null && handle === undefined) || (handle !== undefined && handle !== credential.userHandle)) {
        return fail(actor, 'invalid', 'user_handle', ectx);
      }

      let result: VerifiedAuthenticationResponse;
      try {
        result = await verifySignature(response, pending.payload.challenge, credential);
      } catch (error) {
        return fail(credential.userId, 'invalid', classifyFailure(error), ectx, credential.credentialId);
      }
      const info = result.authenticationInfo;
      if (!result.verified) return fail(credential.userId, 'invalid', 'signature', ectx, credential.credentialId);
      if (!info.userVerified) return fail(credential.userId, 'invalid', 'user_verification', ectx, credential.credentialId);

      const stored = credential.counter;
      const presented = info.newCounter;
      if ((presented > 0 || stored > 0) && presented <= stored) {
        events.emit('mfa.webauthn.counter_regression', 'denied', { actor: credential.userId, target: credential.credentialId }, ectx, {
          method: 'webauthn', storedCounter: stored, presentedCounter: presented,
        });
        return { ok: false, reason: 'replayed' };
      }
      if (!(await credentials.advanceCounter(credential.credentialId, stored, presented, clock.now()))) {
        return fail(credential.userId, 'replayed', 'counter_race', ectx, credential.credentialId);
      }
      events.emit('mfa.webauthn.verified', 'success', { actor: credential.userId, target: credential.credentialId }, ectx, {
        method: 'webauthn', passwordless: bound === null,
      });
      return { ok: true, userId: credential.userId, userVerified: true, credentialId: credential.credentialId, amr: PASSKEY_AMR };
    },
  };
}
