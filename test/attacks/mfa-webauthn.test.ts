/**
 * Threat: forged, replayed or redirected WebAuthn assertions — a captured assertion replayed,
 * a cloned authenticator (signature counter going backwards), an authenticator that skipped
 * user verification, a phishing origin or a foreign RP ID, and cross-login/cross-user reuse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { MfaService } from '../../src/modules/mfa/index.js';
import { RP, mfaBackends, type MfaTestEnv } from '../support/mfa-harness.js';
import { createSoftAuthenticator, type SoftAuthenticator } from '../support/webauthn-authenticator.js';

let counter = 0;
const newUser = () => `victim-wa-${++counter}-${Math.random().toString(36).slice(2)}`;
const newLogin = () => `q2p_att_${++counter}_${Math.random().toString(36).slice(2)}`;

describe.each(await mfaBackends())('WebAuthn attacks on $name', (backend) => {
  let env: MfaTestEnv;
  let replicaA: MfaService;
  let replicaB: MfaService;

  beforeAll(async () => {
    env = await backend.open();
    replicaA = env.service();
    replicaB = await env.replica();
  });
  afterAll(async () => env?.close());

  async function victim(): Promise<{ userId: string; authenticator: SoftAuthenticator; credentialId: string }> {
    const userId = newUser();
    const authenticator = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origins[0]! });
    const options = await replicaA.webauthn.registrationOptions({ id: userId, name: 'victim' });
    const verdict = await replicaA.webauthn.verifyRegistration(userId, authenticator.register(options));
    expect(verdict.ok).toBe(true);
    return { userId, authenticator, credentialId: verdict.credentialId! };
  }

  const challengeFor = (login: string, userId?: string) => replicaA.webauthn.authenticationOptions(login, userId);

  it('rejects a captured assertion replayed for the same login, on any replica', async () => {
    const v = await victim();
    const login = newLogin();
    const assertion = v.authenticator.authenticate(await challengeFor(login, v.userId));
    await expect(replicaA.webauthn.verifyAuthentication(login, assertion)).resolves.toMatchObject({ ok: true });
    await expect(replicaB.webauthn.verifyAuthentication(login, assertion)).resolves.toEqual({ ok: false, reason: 'replayed' });
  });

  it('rejects a replayed assertion of a passkey without a counter (synced passkeys report 0), even raced', async () => {
    const v = await victim();
    const login = newLogin();
    const assertion = v.authenticator.authenticate(await challengeFor(login, v.userId), { counter: 0 });
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => (i % 2 ? replicaA : replicaB).webauthn.verifyAuthentication(login, assertion)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    await expect(replicaA.webauthn.verifyAuthentication(login, assertion)).resolves.toEqual({ ok: false, reason: 'replayed' });
    const alarms = (await env.events()).filter((e) => e.type === 'mfa.webauthn.counter_regression' && e.actor === v.userId);
    expect(alarms).toEqual([]);
  });

  it('rejects a captured assertion replayed against a fresh challenge', async () => {
    const v = await victim();
    const first = newLogin();
    const assertion = v.authenticator.authenticate(await challengeFor(first, v.userId));
    await replicaA.webauthn.verifyAuthentication(first, assertion);
    const second = newLogin();
    await challengeFor(second, v.userId);
    await expect(replicaB.webauthn.verifyAuthentication(second, assertion)).resolves.toEqual({ ok: false, reason: 'invalid' });
  });

  it('lets exactly one of concurrent submissions of one assertion win across replicas', async () => {
    const v = await victim();
    const login = newLogin();
    const assertion = v.authenticator.authenticate(await challengeFor(login, v.userId));
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? replicaA : replicaB).webauthn.verifyAuthentication(login, assertion)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it('treats a signature counter that goes backwards as a cloned authenticator: rejected and alerted', async () => {
    const v = await victim();
    const first = newLogin();
    await expect(replicaA.webauthn.verifyAuthentication(first, v.authenticator.authenticate(await challengeFor(first, v.userId), { counter: 5 })))
      .resolves.toMatchObject({ ok: true });
    for (const cloned of [5, 3]) {
      const login = newLogin();
      const assertion = v.authenticator.authenticate(await challengeFor(login, v.userId), { counter: cloned });
      await expect(replicaB.webauthn.verifyAuthentication(login, assertion)).resolves.toEqual({ ok: false, reason: 'replayed' });
    }
    const alarms = (await env.events()).filter((e) => e.type === 'mfa.webauthn.counter_regression' && e.actor === v.userId);
    expect(alarms).toHaveLength(2);
    expect(alarms[0]).toMatchObject({ outcome: 'denied', target: v.credentialId, details: { method: 'webauthn', storedCounter: 5, presentedCounter: 5 } });
    const next = newLogin();
    await expect(replicaA.webauthn.verifyAuthentication(next, v.authenticator.authenticate(await challengeFor(next, v.userId), { counter: 6 })))
      .resolves.toMatchObject({ ok: true });
  });

  it('does not raise the clone alarm for a low-counter assertion whose signature is forged', async () => {
    const v = await victim();
    const first = newLogin();
    await replicaA.webauthn.verifyAuthentication(first, v.authenticator.authenticate(await challengeFor(first, v.userId), { counter: 9 }));
    const login = newLogin();
    const assertion = v.authenticator.authenticate(await challengeFor(login, v.userId), { counter: 1 });
    const forged = { ...assertion, response: { ...assertion.response, signature: Buffer.alloc(72, 1).toString('base64url') } };
    await expect(replicaA.webauthn.verifyAuthentication(login, forged)).resolves.toEqual({ ok: false, reason: 'invalid' });
    const alarms = (await env.events()).filter((e) => e.type === 'mfa.webauthn.counter_regression' && e.actor === v.userId);
    expect(alarms).toEqual([]);
  });

  it('rejects an assertion without user verification (UV flag missing) or without user presence', async () => {
    const v = await victim();
    for (const flags of [{ userVerified: false }, { userPresent: false }]) {
      const login = newLogin();
      const assertion = v.authenticator.authenticate(await challengeFor(login, v.userId), flags);
      await expect(replicaA.webauthn.verifyAuthentication(login, assertion)).resolves.toEqual({ ok: false, reason: 'invalid' });
    }
    const failures = (await env.events()).filter((e) => e.type === 'mfa.webauthn.failed' && e.actor === v.userId);
    expect(failures.map((e) => e.details.check)).toEqual(['user_verification', 'user_presence']);
  });

  it('rejects assertions made for a phishing origin or a foreign RP ID', async () => {
    const v = await victim();
    const cases = [
      { origin: 'https://q2.example.evil.test' },
      { origin: 'http://q2.example' },
      { origin: 'https://login.q2.example' },
      { rpId: 'evil.test' },
      { rpId: 'example' },
    ];
    for (const override of cases) {
      const login = newLogin();
      const assertion = v.authenticator.authenticate(await challengeFor(login, v.userId), override);
      await expect(replicaA.webauthn.verifyAuthentication(login, assertion), JSON.stringify(override)).resolves.toEqual({ ok: false, reason: 'invalid' });
    }
    const checks = (await env.events()).filter((e) => e.type === 'mfa.webauthn.failed' && e.actor === v.userId).map((e) => e.details.check);
    expect(checks).toEqual(['origin', 'origin', 'origin', 'rp_id', 'rp_id']);
  });

  it('rejects registration attestations for a phishing origin or a foreign RP ID', async () => {
    for (const override of [{ origin: 'https://evil.test' }, { rpId: 'evil.test' }]) {
      const userId = newUser();
      const options = await replicaA.webauthn.registrationOptions({ id: userId, name: 'v' });
      const response = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origins[0]! }).register(options, override);
      await expect(replicaA.webauthn.verifyRegistration(userId, response)).resolves.toEqual({ ok: false, reason: 'invalid' });
      await expect(replicaA.webauthn.listCredentials(userId)).resolves.toEqual([]);
    }
  });

  it("rejects the attacker's own passkey as the victim's second factor", async () => {
    const [v, attacker] = [await victim(), await victim()];
    const login = newLogin();
    const options = await challengeFor(login, v.userId);
    const assertion = attacker.authenticator.authenticate(options, { credentialId: attacker.credentialId });
    await expect(replicaA.webauthn.verifyAuthentication(login, assertion)).resolves.toEqual({ ok: false, reason: 'invalid' });
  });

  it("rejects an assertion for one login used to complete another login (challenge bound to the login)", async () => {
    const v = await victim();
    const [loginA, loginB] = [newLogin(), newLogin()];
    const assertionA = v.authenticator.authenticate(await challengeFor(loginA, v.userId));
    await challengeFor(loginB, v.userId);
    await expect(replicaA.webauthn.verifyAuthentication(loginB, assertionA)).resolves.toEqual({ ok: false, reason: 'invalid' });
    // Login B's challenge was consumed by that attempt; login A's remains usable by its owner.
    await expect(replicaA.webauthn.verifyAuthentication(loginA, assertionA)).resolves.toMatchObject({ ok: true });
  });

  it('rejects an assertion whose clientData claims a registration ceremony', async () => {
    const v = await victim();
    const login = newLogin();
    const assertion = v.authenticator.authenticate(await challengeFor(login, v.userId), { type: 'webauthn.create' });
    await expect(replicaA.webauthn.verifyAuthentication(login, assertion)).resolves.toEqual({ ok: false, reason: 'invalid' });
  });

  it('rejects an assertion after the 5-minute challenge lifetime', async () => {
    const v = await victim();
    const login = newLogin();
    const assertion = v.authenticator.authenticate(await challengeFor(login, v.userId));
    env.clock.advance(5 * 60_000);
    await expect(replicaA.webauthn.verifyAuthentication(login, assertion)).resolves.toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects oversized or malformed responses before verification', async () => {
    const v = await victim();
    const login = newLogin();
    const assertion = v.authenticator.authenticate(await challengeFor(login, v.userId));
    const bloated = { ...assertion, response: { ...assertion.response, clientDataJSON: 'A'.repeat(5000) } };
    await expect(replicaA.webauthn.verifyAuthentication(login, bloated)).resolves.toEqual({ ok: false, reason: 'invalid' });
    const login2 = newLogin();
    await challengeFor(login2, v.userId);
    await expect(replicaA.webauthn.verifyAuthentication(login2, { ...assertion, extra: 1 })).resolves.toEqual({ ok: false, reason: 'invalid' });
  });
});
