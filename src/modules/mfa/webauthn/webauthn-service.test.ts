/**
 * Passkey registration and authentication on each backend pair, with real attestations and
 * assertions from a software authenticator (P-256 and Ed25519 keys, CBOR, "none" attestation).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RP, mfaBackends, type MfaTestEnv } from '../../../../test/support/mfa-harness.js';
import { createSoftAuthenticator, type SoftAuthenticator } from '../../../../test/support/webauthn-authenticator.js';
import type { MfaService } from '../types.js';

let counter = 0;
const newUser = () => `user-wa-${++counter}-${Math.random().toString(36).slice(2)}`;
const newLogin = () => `q2p_wa_${++counter}_${Math.random().toString(36).slice(2)}`;

describe.each(await mfaBackends())('WebAuthn on $name', (backend) => {
  let env: MfaTestEnv;
  let mfa: MfaService;

  beforeAll(async () => {
    env = await backend.open();
    mfa = env.service();
  });
  afterAll(async () => env?.close());

  async function register(userId = newUser(), authenticator: SoftAuthenticator = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origins[0]! })) {
    const options = await mfa.webauthn.registrationOptions({ id: userId, name: `${userId}@example.test` });
    const verdict = await mfa.webauthn.verifyRegistration(userId, authenticator.register(options));
    expect(verdict).toMatchObject({ ok: true, credentialId: expect.any(String) });
    return { userId, authenticator, credentialId: verdict.credentialId! };
  }

  it('offers registration with user verification required, no attestation and a 32-byte random user handle', async () => {
    const userId = newUser();
    const options = await mfa.webauthn.registrationOptions({ id: userId, name: 'alice@example.test' });
    expect(options.rp).toEqual({ id: 'q2.example', name: 'Q2' });
    expect(options.authenticatorSelection).toMatchObject({ userVerification: 'required', residentKey: 'preferred' });
    expect(options.attestation).toBe('none');
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-8, -7, -257]);
    expect(Buffer.from(options.user.id, 'base64url')).toHaveLength(32);
    expect(options.user.id).not.toContain(Buffer.from(userId).toString('base64url'));
    expect(Buffer.from(options.challenge, 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('registers a P-256 passkey and signs in with it as a second factor (amr hwk+user)', async () => {
    const { userId, authenticator, credentialId } = await register();
    const login = newLogin();
    const options = await mfa.webauthn.authenticationOptions(login, userId);
    expect(options.userVerification).toBe('required');
    expect(options.allowCredentials).toEqual([{ id: credentialId, type: 'public-key', transports: ['internal'] }]);
    const verdict = await mfa.webauthn.verifyAuthentication(login, authenticator.authenticate(options));
    expect(verdict).toEqual({ ok: true, userId, userVerified: true, credentialId, amr: ['hwk', 'user'] });
    await expect(mfa.methodsFor(userId)).resolves.toEqual(['webauthn']);
  });

  it('registers an Ed25519 passkey and signs in with it', async () => {
    const { userId, authenticator } = await register(newUser(), createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origins[0]!, algorithm: 'Ed25519' }));
    const login = newLogin();
    const options = await mfa.webauthn.authenticationOptions(login, userId);
    await expect(mfa.webauthn.verifyAuthentication(login, authenticator.authenticate(options))).resolves.toMatchObject({ ok: true, userId });
  });

  it('signs in passwordless: a discoverable credential names the user through its user handle', async () => {
    const { userId, authenticator, credentialId } = await register();
    const login = newLogin();
    const options = await mfa.webauthn.authenticationOptions(login);
    expect(options.allowCredentials).toEqual([]);
    const verdict = await mfa.webauthn.verifyAuthentication(login, authenticator.authenticate(options, { credentialId }));
    expect(verdict).toEqual({ ok: true, userId, userVerified: true, credentialId, amr: ['hwk', 'user'] });
  });

  it('passwordless needs the user handle, and it must be the credential\'s', async () => {
    const { authenticator, credentialId } = await register();
    const first = newLogin();
    const o1 = await mfa.webauthn.authenticationOptions(first);
    await expect(mfa.webauthn.verifyAuthentication(first, authenticator.authenticate(o1, { credentialId, omitUserHandle: true }))).resolves.toEqual({ ok: false, reason: 'invalid' });
    const second = newLogin();
    const o2 = await mfa.webauthn.authenticationOptions(second);
    const forged = Buffer.alloc(32, 7).toString('base64url');
    await expect(mfa.webauthn.verifyAuthentication(second, authenticator.authenticate(o2, { credentialId, userHandle: forged }))).resolves.toEqual({ ok: false, reason: 'invalid' });
  });

  it('keeps one user handle per user across passkeys and excludes registered credentials', async () => {
    const { userId, credentialId } = await register();
    const options = await mfa.webauthn.registrationOptions({ id: userId, name: 'again' });
    expect(options.excludeCredentials).toEqual([{ id: credentialId, type: 'public-key', transports: ['internal'] }]);
    const stored = await env.db.kysely.selectFrom('mfa_webauthn_credentials').select('user_handle').where('credential_id', '=', credentialId).executeTakeFirstOrThrow();
    expect(options.user.id).toBe(stored.user_handle);
  });

  it('refuses a registration response for another user, a reused registration and a duplicate credential id', async () => {
    const userId = newUser();
    const authenticator = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origins[0]! });
    const options = await mfa.webauthn.registrationOptions({ id: userId, name: 'u' });
    const response = authenticator.register(options);
    const intruder = newUser();
    await mfa.webauthn.registrationOptions({ id: intruder, name: 'i' });
    // The challenge was issued to userId, so the intruder's pending registration does not match it.
    await expect(mfa.webauthn.verifyRegistration(intruder, response)).resolves.toEqual({ ok: false, reason: 'invalid' });
    await expect(mfa.webauthn.verifyRegistration(userId, response)).resolves.toMatchObject({ ok: true });
    await expect(mfa.webauthn.verifyRegistration(userId, response)).resolves.toEqual({ ok: false, reason: 'replayed' });
    const other = newUser();
    const otherOptions = await mfa.webauthn.registrationOptions({ id: other, name: 'o' });
    // The same authenticator registers the same credential id again, for another account.
    const again = authenticator.register(otherOptions, { reuseCredentialId: response.id });
    expect(again.id).toBe(response.id);
    await expect(mfa.webauthn.verifyRegistration(other, again)).resolves.toEqual({ ok: false, reason: 'invalid' });
    await expect(mfa.webauthn.listCredentials(other)).resolves.toEqual([]);
  });

  it('refuses a registration whose response id differs from the attested credential id', async () => {
    const userId = newUser();
    const options = await mfa.webauthn.registrationOptions({ id: userId, name: 'u' });
    const response = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origins[0]! }).register(options);
    const other = Buffer.alloc(32, 9).toString('base64url');
    await expect(mfa.webauthn.verifyRegistration(userId, { ...response, id: other, rawId: other })).resolves.toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses registration without user verification', async () => {
    const userId = newUser();
    const options = await mfa.webauthn.registrationOptions({ id: userId, name: 'u' });
    const response = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origins[0]! }).register(options, { userVerified: false });
    await expect(mfa.webauthn.verifyRegistration(userId, response)).resolves.toEqual({ ok: false, reason: 'invalid' });
    await expect(mfa.webauthn.listCredentials(userId)).resolves.toEqual([]);
  });

  it('expires registration challenges after 5 minutes and rejects malformed responses', async () => {
    const userId = newUser();
    const authenticator = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origins[0]! });
    const options = await mfa.webauthn.registrationOptions({ id: userId, name: 'u' });
    env.clock.advance(5 * 60_000);
    await expect(mfa.webauthn.verifyRegistration(userId, authenticator.register(options))).resolves.toEqual({ ok: false, reason: 'expired' });
    await mfa.webauthn.registrationOptions({ id: userId, name: 'u' });
    await expect(mfa.webauthn.verifyRegistration(userId, { id: 'x', unexpected: true })).resolves.toEqual({ ok: false, reason: 'invalid' });
    await expect(mfa.webauthn.verifyRegistration(newUser(), authenticator.register(options))).resolves.toEqual({ ok: false, reason: 'expired' });
  });

  it('lists and removes passkeys; another user cannot remove them', async () => {
    const { userId, credentialId } = await register();
    const listed = await mfa.webauthn.listCredentials(userId);
    expect(listed).toEqual([{ credentialId, deviceType: 'singleDevice', backedUp: false, transports: ['internal'], createdAt: env.clock.now(), lastUsedAt: null }]);
    await expect(mfa.webauthn.removeCredential(newUser(), credentialId)).resolves.toBe(false);
    await expect(mfa.webauthn.removeCredential(userId, credentialId)).resolves.toBe(true);
    await expect(mfa.webauthn.listCredentials(userId)).resolves.toEqual([]);
    await expect(mfa.webauthn.authenticationOptions(newLogin(), userId)).rejects.toMatchObject({ code: 'MFA_METHOD_UNAVAILABLE' });
  });

  it('limits passkeys per account (MFA_CREDENTIAL_LIMIT)', async () => {
    const limited = env.service({ policy: { webauthn: { maxCredentials: 2 } } });
    const userId = newUser();
    const authenticator = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origins[0]! });
    for (let i = 0; i < 2; i++) {
      const options = await limited.webauthn.registrationOptions({ id: userId, name: 'u' });
      await expect(limited.webauthn.verifyRegistration(userId, authenticator.register(options))).resolves.toMatchObject({ ok: true });
    }
    await expect(limited.webauthn.registrationOptions({ id: userId, name: 'u' })).rejects.toMatchObject({ code: 'MFA_CREDENTIAL_LIMIT', status: 409 });
  });

  it('refuses relying-party configurations outside a secure origin within the RP ID', () => {
    expect(() => env.service({ webauthn: { rpId: 'q2.example', rpName: 'Q2', origins: ['http://q2.example'] } })).toThrow(TypeError);
    expect(() => env.service({ webauthn: { rpId: 'q2.example', rpName: 'Q2', origins: ['https://evil.example'] } })).toThrow(TypeError);
    expect(() => env.service({ webauthn: { rpId: 'q2.example', rpName: 'Q2', origins: [] } })).toThrow(TypeError);
    expect(() => env.service({ webauthn: { rpId: 'q2.example', rpName: 'Q2', origins: ['https://app.q2.example'] } })).not.toThrow();
  });

  it('emits registration and sign-in events naming the credential', async () => {
    const { userId, authenticator, credentialId } = await register();
    const login = newLogin();
    await mfa.webauthn.verifyAuthentication(login, authenticator.authenticate(await mfa.webauthn.authenticationOptions(login, userId)));
    const events = (await env.events()).filter((e) => e.actor === userId);
    expect(events.map((e) => e.type)).toEqual([
      'mfa.webauthn.registration_started', 'mfa.webauthn.registered', 'mfa.webauthn.challenge_issued', 'mfa.webauthn.verified',
    ]);
    expect(events[1]).toMatchObject({ target: credentialId, outcome: 'success', details: { method: 'webauthn', deviceType: 'singleDevice' } });
    expect(events[3]).toMatchObject({ target: credentialId, details: { passwordless: false } });
  });
});
