/** Passkeys: the registration and authentication ceremonies plus credential management. */
import type { Clock } from '../../../lib/clock/index.js';
import type { StateStore } from '../../../lib/state/index.js';
import type { MfaEvents } from '../events.js';
import type { MfaPolicy } from '../policy.js';
import type { WebAuthnService } from '../types.js';
import { createAuthentication } from './authentication.js';
import { createChallengeStore } from './challenge-store.js';
import { assertRelyingParty, type RelyingParty } from './context.js';
import type { CredentialRepository } from './credential-repository.js';
import { createRegistration } from './registration.js';

export interface WebAuthnServiceDeps {
  rp: RelyingParty;
  credentials: CredentialRepository;
  state: StateStore;
  clock: Clock;
  events: MfaEvents;
  policy: MfaPolicy['webauthn'];
}

export function createWebAuthnService(deps: WebAuthnServiceDeps): WebAuthnService {
  assertRelyingParty(deps.rp);
  const ctx = {
    ...deps,
    rp: Object.freeze({ ...deps.rp, origins: Object.freeze([...deps.rp.origins]) }),
    registrations: createChallengeStore<{ challenge: string; userHandle: string }>(deps.state, deps.clock),
    authentications: createChallengeStore<{ challenge: string; userId: string | null }>(deps.state, deps.clock),
  };
  const { credentials, events } = deps;
  return {
    ...createRegistration(ctx),
    ...createAuthentication(ctx),
    async listCredentials(userId) {
      return (await credentials.listByUser(userId)).map((c) => ({
        credentialId: c.credentialId,
        deviceType: c.deviceType,
        backedUp: c.backedUp,
        transports: c.transports,
        createdAt: c.createdAt,
        lastUsedAt: c.lastUsedAt,
      }));
    },
    async removeCredential(userId, credentialId, ectx) {
      const removed = await credentials.remove(userId, credentialId);
      if (removed) events.emit('mfa.webauthn.removed', 'success', { actor: userId, target: credentialId }, ectx, { method: 'webauthn' });
      return removed;
    },
  };
}
