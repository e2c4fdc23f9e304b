/** The composed MFA service: which methods a user has, cleanup across factors, policy bounds. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RP, mfaBackends, type MfaTestEnv } from '../../../test/support/mfa-harness.js';
import { createSoftAuthenticator } from '../../../test/support/webauthn-authenticator.js';
import type { Mailer } from '../../lib/notify/index.js';
import { AMR_BY_METHOD } from './amr.js';
import { DEFAULT_MFA_POLICY, resolvePolicy } from './policy.js';
import { base32Decode } from './totp/base32.js';
import { totp } from './totp/hotp.js';
import type { MfaService } from './types.js';

let counter = 0;
const newUser = () => `user-svc-${++counter}-${Math.random().toString(36).slice(2)}`;

describe('MFA policy', () => {
  it('defaults to the SPEC §3 values', () => {
    expect(DEFAULT_MFA_POLICY.otp).toMatchObject({ digits: 6, ttlMs: 600_000, maxAttempts: 5 });
    expect(DEFAULT_MFA_POLICY.totp.window).toBe(1);
    expect(DEFAULT_MFA_POLICY.backupCodes.count).toBe(10);
  });

  it('refuses overrides that would break the contract', () => {
    expect(() => resolvePolicy({ otp: { digits: 5 } })).toThrow(TypeError);
    expect(() => resolvePolicy({ otp: { ttlMs: 600_001 } })).toThrow(TypeError);
    expect(() => resolvePolicy({ otp: { maxAttempts: 6 } })).toThrow(TypeError);
    expect(() => resolvePolicy({ failures: { limit: 101 } })).toThrow(TypeError);
    expect(() => resolvePolicy({ totp: { window: 3 } })).toThrow(TypeError);
    expect(() => resolvePolicy({ totp: { issuer: 'Q2:evil' } })).toThrow(TypeError);
    expect(resolvePolicy({ otp: { digits: 8, maxAttempts: 3 } }).otp).toMatchObject({ digits: 8, maxAttempts: 3, ttlMs: 600_000 });
  });

  it('maps each method to its RFC 8176 amr values; a passkey alone is two factors', () => {
    expect(AMR_BY_METHOD).toEqual({ totp: ['otp'], backup_code: ['otp'], email: ['otp'], sms: ['sms'], webauthn: ['hwk', 'user'] });
  });
});

describe.each(await mfaBackends())('MFA service on $name', (backend) => {
  let env: MfaTestEnv;
  let mfa: MfaService;
  const mailer: Mailer = { send: async () => undefined, close: async () => undefined };

  beforeAll(async () => {
    env = await backend.open();
    mfa = env.service({ mailer });
  });
  afterAll(async () => env?.close());

  async function enrollTotp(userId: string) {
    const { secret } = await mfa.totp.beginEnrollment(userId, 'label');
    const result = await mfa.totp.confirmEnrollment(userId, totp(base32Decode(secret)!, env.clock.now(), { digits: 6, periodS: 30, algorithm: 'SHA1' }));
    expect(result.ok).toBe(true);
    return result.ok ? result.backupCodes : [];
  }

  async function registerPasskey(userId: string) {
    const authenticator = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origins[0]! });
    const verdict = await mfa.webauthn.verifyRegistration(userId, authenticator.register(await mfa.webauthn.registrationOptions({ id: userId, name: 'n' })));
    return verdict.credentialId!;
  }

  it('lists strongest factors first and backup codes only while a factor exists', async () => {
    const userId = newUser();
    await expect(mfa.methodsFor(userId)).resolves.toEqual([]);
    await enrollTotp(userId);
    const credentialId = await registerPasskey(userId);
    await expect(mfa.methodsFor(userId, { email: true, phone: true })).resolves.toEqual(['webauthn', 'totp', 'backup_code', 'email']);
    await mfa.totp.disable(userId);
    await expect(mfa.methodsFor(userId)).resolves.toEqual(['webauthn', 'backup_code']);
    await mfa.webauthn.removeCredential(userId, credentialId);
    await expect(mfa.methodsFor(userId)).resolves.toEqual([]);
    await expect(mfa.backupCodes.remaining(userId)).resolves.toBe(0);
  });

  it('drops backup_code from the list once every code is spent', async () => {
    const userId = newUser();
    const codes = await enrollTotp(userId);
    for (const code of codes) await expect(mfa.backupCodes.verify(userId, code)).resolves.toEqual({ ok: true });
    await expect(mfa.methodsFor(userId)).resolves.toEqual(['totp']);
  });

  it('forgetUser removes every factor of that user and nobody else\'s', async () => {
    const [userId, bystander] = [newUser(), newUser()];
    await enrollTotp(userId);
    await registerPasskey(userId);
    await enrollTotp(bystander);
    await mfa.forgetUser(userId);
    await expect(mfa.methodsFor(userId)).resolves.toEqual([]);
    for (const table of ['mfa_totp', 'mfa_backup_codes', 'mfa_webauthn_credentials'] as const) {
      const rows = await env.db.kysely.selectFrom(table).select('user_id').where('user_id', '=', userId).execute();
      expect(rows, table).toEqual([]);
    }
    await expect(mfa.methodsFor(bystander)).resolves.toEqual(['totp', 'backup_code']);
  });
});
