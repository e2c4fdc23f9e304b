/**
 * Wires identity for the server: repositories, token services, sessions, brute-force guard,
 * the bearer authenticator and the `/v1/auth`, `/v1/me` and JWKS routes.
 */
import type { Capability, PlatformCore } from '../../server/capability.js';
import type { FieldProtector } from '../../lib/protect/index.js';
import type { Mailer } from '../../lib/notify/index.js';
import { subscribeLockNotifier } from './lock-notifier.js';
import type { CsrfKeys } from './browser-session.js';
import { createUserRepository } from './accounts/user-repository.js';
import { createAuthService } from './auth-service.js';
import { createBearerAuthenticator } from './authenticator.js';
import { createBruteForceGuard, type BruteForcePolicy } from './brute-force.js';
import type { MfaPort } from './mfa-port.js';
import { createPasswordHasher, type PasswordHasherParams } from './passwords/hasher.js';
import { createPendingLoginStore } from './pending-logins.js';
import { authRoutes } from './routes/auth-routes.js';
import { meRoutes } from './routes/me-routes.js';
import { createRevocationStore } from './sessions/revocation.js';
import { createSessionService, type SessionPolicy } from './sessions/session-service.js';
import { createAccessTokenService } from './tokens/access-tokens.js';
import { createSigningKeyRing } from './tokens/signing-keys.js';

export interface IdentityOptions {
  protector: FieldProtector;
  /** When set, owners are emailed when their account is locked after failed attempts. */
  mailer?: Mailer;
  mfa: MfaPort;
  sessionPolicy?: Partial<SessionPolicy>;
  bruteForce?: Partial<BruteForcePolicy>;
  argon2?: PasswordHasherParams;
}

export function createIdentity(core: PlatformCore, options: IdentityOptions) {
  const { db, state, clock, events } = core;
  const { protector, mfa } = options;
  const users = createUserRepository({ db: db.kysely, protector, clock });
  const keys = createSigningKeyRing({ db: db.kysely, protector, clock });
  const tokens = createAccessTokenService({ keys, clock });
  const revocation = createRevocationStore(state);
  const sessions = createSessionService({ database: db, revocation, clock, events, protector, ...(options.sessionPolicy ? { policy: options.sessionPolicy } : {}) });
  const guard = createBruteForceGuard({ state, clock, ...(options.bruteForce ? { policy: options.bruteForce } : {}) });
  const pending = createPendingLoginStore(state);
  const hasher = createPasswordHasher(options.argon2);
  const auth = createAuthService({ users, hasher, tokens, sessions, revocation, guard, pending, mfa, events, clock, pseudonyms: protector });
  const csrf: CsrfKeys = { key: (version) => core.crypto.keyManager.deriveKey('fields', 'csrf/v1', version) };
  const bearer = createBearerAuthenticator({ tokens, revocation, sessions, clock, csrf });
  const pendingPeek = async (token: string) => pending.peek(token, 'mfa');
  return { users, keys, tokens, revocation, sessions, guard, pending, hasher, auth, bearer, mfa, pendingPeek, csrf };
}

export type Identity = ReturnType<typeof createIdentity>;

export function createIdentityCapability(core: PlatformCore, options: IdentityOptions): Capability & { identity: Identity } {
  const identity = createIdentity(core, options);
  const unsubscribe = options.mailer
    ? subscribeLockNotifier({ events: core.events, mailer: options.mailer, users: identity.users, state: core.state })
    : undefined;
  return {
    name: 'identity',
    identity,
    close: async () => unsubscribe?.(),
    authenticate: identity.bearer.authenticate,
    routes: [
      authRoutes({ auth: identity.auth, mfa: identity.mfa, pendingPeek: identity.pendingPeek, csrf: identity.csrf, sessions: identity.sessions }),
      meRoutes({ ...identity, clock: core.clock }),
    ],
  };
}
