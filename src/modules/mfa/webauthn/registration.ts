/**
 * WebAuthn registration ceremony (W3C WebAuthn L3 §7.1) with @simplewebauthn/server:
 * user verification required, attestation "none" (we trust the user's choice of authenticator,
 * not a vendor list), challenge bound to the enrolling user and single-use, origin and RP ID
 * checked. A credential id already registered, to anyone, is refused (§7.1 step 27).
 */
import { randomBytes } from 'node:crypto';

import {
  generateRegistrationOptions, verifyRegistrationResponse, type AuthenticatorTransportFuture, type VerifiedRegistrationResponse,
} from '@simplewebauthn/server';

import { AppError } from '../../../lib/errors/index.js';
import type { EventContext, WebAuthnRegistrationVerdict, WebAuthnService } from '../types.js';
import { SUPPORTED_ALGORITHMS, classifyFailure, type WebAuthnContext } from './context.js';
import { isRegistrationResponse } from './response-schemas.js';

const registrationKey = (userId: string) => `mfa:wa:reg:${userId}`;

function assertUser(user: { id: string; name: string; displayName?: string }): void {
  if (typeof user.id !== 'string' || user.id.length === 0 || user.id.length > 128) throw new TypeError('user.id must be 1..128 characters');
  if (typeof user.name !== 'string' || user.name.length === 0 || user.name.length > 256) {
    throw new AppError('VALIDATION_FAILED', 'The account name must be 1..256 characters.');
  }
}

export function createRegistration(ctx: WebAuthnContext): Pick<WebAuthnService, 'registrationOptions' | 'verifyRegistration'> {
  const { rp, credentials, registrations, clock, events, policy } = ctx;

  const fail = (userId: string, reason: 'invalid' | 'expired' | 'replayed', check: string, ectx?: EventContext): WebAuthnRegistrationVerdict => {
    events.emit('mfa.webauthn.registration_failed', 'failure', { actor: userId }, ectx, { method: 'webauthn', reason, check });
    return { ok: false, reason };
  };

  return {
    async registrationOptions(user, ectx) {
      assertUser(user);
      const existing = await credentials.listByUser(user.id);
      if (existing.length >= policy.maxCredentials) {
        throw new AppError('MFA_CREDENTIAL_LIMIT', `At most ${policy.maxCredentials} passkeys per account; remove one first.`);
      }
      // The user handle is random, not the user id (WebAuthn §14.6.1: no personal data in it),
      // and stable per user so an authenticator keeps one passkey per account.
      const userHandle = existing[0]?.userHandle ?? randomBytes(32).toString('base64url');
      const options = await generateRegistrationOptions({
        rpName: rp.rpName,
        rpID: rp.rpId,
        userName: user.name,
        userDisplayName: user.displayName ?? user.name,
        userID: new Uint8Array(Buffer.from(userHandle, 'base64url')),
        attestationType: 'none',
        excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports as AuthenticatorTransportFuture[] })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
        timeout: policy.timeoutMs,
      });
      await registrations.put(registrationKey(user.id), { challenge: options.challenge, userHandle }, policy.challengeTtlMs);
      events.emit('mfa.webauthn.registration_started', 'info', { actor: user.id }, ectx, { method: 'webauthn' });
      return options;
    },

    async verifyRegistration(userId, response, ectx) {
      const pending = await registrations.consume(registrationKey(userId));
      if (pending.status === 'used') return fail(userId, 'replayed', 'challenge', ectx);
      if (pending.status !== 'ok') return fail(userId, 'expired', 'challenge', ectx);
      if (!isRegistrationResponse(response)) return fail(userId, 'invalid', 'malformed', ectx);
      let result: VerifiedRegistrationResponse;
      try {
        result = await verifyRegistrationResponse({
          response,
          expectedChallenge: pending.payload.challenge,
          expectedOrigin: [...rp.origins],
          expectedRPID: rp.rpId,
          requireUserPresence: true,
          requireUserVerification: true,
          supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
        });
      } catch (error) {
        return fail(userId, 'invalid', classifyFailure(error), ectx);
      }
      if (!result.verified || !result.registrationInfo.userVerified) return fail(userId, 'invalid', 'user_verification', ectx);
      const info = result.registrationInfo;
      // The id the client reports must be the one the authenticator attested (§7.1 step 22).
      if (info.credential.id !== response.id) return fail(userId, 'invalid', 'credential_id_mismatch', ectx);
      const stored = await credentials.insert({
        credentialId: info.credential.id,
        userId,
        userHandle: pending.payload.userHandle,
        publicKey: info.credential.publicKey,
        counter: info.credential.counter,
        transports: info.credential.transports ?? [],
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        aaguid: info.aaguid,
        createdAt: clock.now(),
        lastUsedAt: null,
      });
      if (!stored) return fail(userId, 'invalid', 'duplicate_credential', ectx);
      events.emit('mfa.webauthn.registered', 'success', { actor: userId, target: info.credential.id }, ectx, {
        method: 'webauthn', deviceType: info.credentialDeviceType, backedUp: info.credentialBackedUp, aaguid: info.aaguid,
      });
      return { ok: true, credentialId: info.credential.id };
    },
  };
}
