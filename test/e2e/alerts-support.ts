/**
 * Privileged users for the alert-delivery tests, signed in through the real routes: an admin
 * must enrol TOTP at first sign-in (SPEC §3), so the helpers do that with the shared RFC 6238
 * implementation and a manual clock (each code is used in its own 30 s step).
 */
import { expect } from 'vitest';

import type { Role } from '../../src/lib/auth/index.js';
import type { createManualClock } from '../../src/lib/clock/index.js';
import type { Identity } from '../../src/modules/identity/capability.js';
import { base32Decode, totp } from '../../src/modules/mfa/index.js';
import { post, STRONG_PASSWORD, uniqueEmail, type Tokens } from '../support/identity.js';
import type { TestPlatform } from '../support/platform.js';

type ManualClock = ReturnType<typeof createManualClock>;

/**
 * These suites raise alerts from the same loopback address that then asks for the stream; the
 * network layer's adaptive limits (tested in test/e2e/network-*) would rightly throttle it.
 */
export const WITHOUT_ADAPTIVE_LIMITS = {
  network: { config: { adaptive: { weights: { 'auth-failure': 0, 'signature-invalid': 0, 'rate-limited': 0, 'detection-alert': 0, anomaly: 0, 'auth-success': 0, 'good-standing': 0 } } } },
} as const;

export interface PrivilegedUser {
  userId: string;
  email: string;
  secret: string;
  tokens: Tokens;
}

const code = (secret: string, at: number) => totp(base32Decode(secret)!, at, { algorithm: 'SHA1', digits: 6, periodS: 30, t0S: 0 });

export function identityOf(platform: TestPlatform): Identity {
  return (platform.capabilities.find((c) => c.name === 'identity') as unknown as { identity: Identity }).identity;
}

/** Creates a user with `roles`, enrols TOTP and returns its bearer tokens. */
export async function createPrivileged(platform: TestPlatform, clock: ManualClock, roles: Role[], email = uniqueEmail(roles[0])): Promise<PrivilegedUser> {
  const identity = identityOf(platform);
  const user = await identity.users.create({ email, passwordHash: await identity.hasher.hash(STRONG_PASSWORD), roles });
  expect(user).not.toBeNull();
  const login = (await post(platform.app, '/v1/auth/login', { email, password: STRONG_PASSWORD })).json() as { enrollmentToken: string };
  const start = (await post(platform.app, '/v1/me/mfa/totp', { enrollmentToken: login.enrollmentToken })).json() as { secret: string };
  const confirm = await post(platform.app, '/v1/me/mfa/totp/confirm', { enrollmentToken: login.enrollmentToken, code: code(start.secret, clock.now()) });
  expect(confirm.statusCode, confirm.body).toBe(200);
  return { userId: user!.id, email, secret: start.secret, tokens: confirm.json() as Tokens };
}

/** Signs the user in as the console does (X-Q2-Client: browser): returns the cookie header and CSRF token. */
export async function browserSession(platform: TestPlatform, clock: ManualClock, user: PrivilegedUser): Promise<{ cookie: string; csrf: string }> {
  clock.advance(30_000);
  const browser = { 'x-q2-client': 'browser' };
  const login = (await post(platform.app, '/v1/auth/login', { email: user.email, password: STRONG_PASSWORD }, browser)).json() as { mfaToken: string };
  const res = await post(platform.app, '/v1/auth/mfa/verify', { mfaToken: login.mfaToken, method: 'totp', code: code(user.secret, clock.now()) }, browser);
  expect(res.statusCode, res.body).toBe(200);
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const cookie = setCookie.map((c) => c.split(';')[0]!).join('; ');
  return { cookie, csrf: (res.json() as { csrfToken: string }).csrfToken };
}
