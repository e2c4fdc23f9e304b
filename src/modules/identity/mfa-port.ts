/**
 * What identity needs from the MFA module (src/modules/mfa). Identity depends on this port, not
 * on the implementation, so login policy (one MFA policy on every path) lives in one place here.
 */
export type MfaMethod = 'totp' | 'backup_code' | 'email' | 'sms' | 'webauthn';

export type MfaVerdict = { ok: true } | { ok: false; reason: 'invalid' | 'expired' | 'replayed' | 'too_many_attempts' | 'not_enrolled' };

export interface MfaPort {
  /** Enrolled factors; email/sms only when the caller says the user has that contact. */
  methodsFor(userId: string, contacts?: { email?: boolean; phone?: boolean }): Promise<MfaMethod[]>;
  totp: {
    beginEnrollment(userId: string, label: string): Promise<{ secret: string; otpauthUri: string }>;
    confirmEnrollment(userId: string, code: string): Promise<{ ok: true; backupCodes: string[] } | { ok: false; reason: string }>;
    verify(userId: string, code: string): Promise<MfaVerdict>;
  };
  backupCodes: { verify(userId: string, code: string): Promise<MfaVerdict> };
  email: {
    send(userId: string, challengeKey: string, address: string): Promise<void>;
    verify(userId: string, challengeKey: string, code: string): Promise<MfaVerdict>;
  };
  sms: {
    send(userId: string, challengeKey: string, phone: string): Promise<void>;
    verify(userId: string, challengeKey: string, code: string): Promise<MfaVerdict>;
  };
  webauthn: {
    registrationOptions(user: { id: string; name: string }): Promise<unknown>;
    verifyRegistration(userId: string, response: unknown): Promise<MfaVerdict & { credentialId?: string }>;
    authenticationOptions(challengeKey: string, userId?: string): Promise<unknown>;
    verifyAuthentication(challengeKey: string, response: unknown): Promise<
      { ok: true; userId: string; userVerified: boolean; credentialId: string } | { ok: false; reason: string }>;
  };
}

/** RFC 8176 method references for each factor. */
export const AMR_OF: Readonly<Record<MfaMethod, string[]>> = {
  totp: ['otp'],
  backup_code: ['otp'],
  email: ['otp'],
  sms: ['sms'],
  webauthn: ['hwk', 'user'],
};
