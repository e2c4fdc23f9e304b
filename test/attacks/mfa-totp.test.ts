/**
 * Threat: an attacker who has the password and sees (shoulder-surfing, phishing proxy, malware)
 * or guesses a TOTP code. RFC 6238 §5.2: a code is accepted at most once — on every replica —
 * and online guessing is bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { base32Decode } from '../../src/modules/mfa/totp/base32.js';
import { totp } from '../../src/modules/mfa/totp/hotp.js';
import type { MfaService } from '../../src/modules/mfa/index.js';
import { mfaBackends, type MfaTestEnv } from '../support/mfa-harness.js';

const PARAMS = { digits: 6, periodS: 30, algorithm: 'SHA1' as const };
let counter = 0;
const newUser = () => `victim-totp-${++counter}-${Math.random().toString(36).slice(2)}`;

describe.each(await mfaBackends())('TOTP attacks on $name', (backend) => {
  let env: MfaTestEnv;
  let replicaA: MfaService;
  let replicaB: MfaService;

  beforeAll(async () => {
    env = await backend.open();
    replicaA = env.service();
    replicaB = await env.replica();
  });
  afterAll(async () => env?.close());

  async function enrolled() {
    const userId = newUser();
    const { secret } = await replicaA.totp.beginEnrollment(userId, 'victim');
    const confirmCode = totp(base32Decode(secret)!, env.clock.now(), PARAMS);
    expect(await replicaA.totp.confirmEnrollment(userId, confirmCode)).toMatchObject({ ok: true });
    return { userId, secret, confirmCode, codeNow: () => totp(base32Decode(secret)!, env.clock.now(), PARAMS) };
  }

  it('rejects a replayed code on the same server', async () => {
    const victim = await enrolled();
    env.clock.advance(30_000);
    const code = victim.codeNow();
    await expect(replicaA.totp.verify(victim.userId, code)).resolves.toEqual({ ok: true });
    await expect(replicaA.totp.verify(victim.userId, code)).resolves.toEqual({ ok: false, reason: 'replayed' });
  });

  it('rejects a code replayed on another replica (shared replay store)', async () => {
    const victim = await enrolled();
    env.clock.advance(30_000);
    const code = victim.codeNow();
    await expect(replicaA.totp.verify(victim.userId, code)).resolves.toEqual({ ok: true });
    await expect(replicaB.totp.verify(victim.userId, code)).resolves.toEqual({ ok: false, reason: 'replayed' });
  });

  it('lets exactly one of many concurrent uses of one code win, across replicas', async () => {
    const victim = await enrolled();
    env.clock.advance(30_000);
    const code = victim.codeNow();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? replicaA : replicaB).totp.verify(victim.userId, code)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'replayed')).toHaveLength(7);
  });

  it('rejects the code that confirmed enrollment when it is replayed to sign in', async () => {
    const victim = await enrolled();
    await expect(replicaB.totp.verify(victim.userId, victim.confirmCode)).resolves.toEqual({ ok: false, reason: 'replayed' });
  });

  it('still rejects a used code while it stays inside the ±1 step window', async () => {
    const victim = await enrolled();
    env.clock.advance(30_000);
    const code = victim.codeNow();
    await expect(replicaA.totp.verify(victim.userId, code)).resolves.toEqual({ ok: true });
    env.clock.advance(30_000); // the code's step is now "previous", still inside the window
    await expect(replicaB.totp.verify(victim.userId, code)).resolves.toEqual({ ok: false, reason: 'replayed' });
    env.clock.advance(30_000); // two steps old: outside the window altogether
    await expect(replicaB.totp.verify(victim.userId, code)).resolves.toEqual({ ok: false, reason: 'invalid' });
  });

  it('stops online guessing after 10 wrong codes, even for the right code, for one window only', async () => {
    const victim = await enrolled();
    env.clock.advance(30_000);
    const right = victim.codeNow();
    const guesses = Array.from({ length: 10 }, (_, i) => String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0'));
    const verdicts = await Promise.all(guesses.map((g, i) => (i % 2 ? replicaA : replicaB).totp.verify(victim.userId, g)));
    expect(verdicts.every((v) => !v.ok && v.reason === 'invalid')).toBe(true);
    await expect(replicaA.totp.verify(victim.userId, right)).resolves.toEqual({ ok: false, reason: 'too_many_attempts' });
    await expect(replicaA.backupCodes.verify(victim.userId, 'AAAA-BBBB-CCCC')).resolves.toEqual({ ok: false, reason: 'too_many_attempts' });
    const events = (await env.events()).filter((e) => e.actor === victim.userId && e.type === 'mfa.totp.failed');
    expect(events.at(-1)!.details).toEqual({ method: 'totp', reason: 'too_many_attempts' });
    env.clock.advance(15 * 60_000); // the owner gets in after the window
    await expect(replicaB.totp.verify(victim.userId, victim.codeNow())).resolves.toEqual({ ok: true });
  });

  it('cannot confirm an enrollment by guessing faster than the budget allows', async () => {
    const userId = newUser();
    const { secret } = await replicaA.totp.beginEnrollment(userId, 'victim');
    const right = totp(base32Decode(secret)!, env.clock.now(), PARAMS);
    for (let i = 1; i <= 10; i++) {
      await replicaA.totp.confirmEnrollment(userId, String((Number(right) + i) % 1_000_000).padStart(6, '0'));
    }
    await expect(replicaA.totp.confirmEnrollment(userId, right)).resolves.toEqual({ ok: false, reason: 'too_many_attempts' });
    await expect(replicaA.methodsFor(userId)).resolves.toEqual([]);
  });
});
