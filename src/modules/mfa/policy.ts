/**
 * Tunables of the MFA module with the SPEC §3 bounds enforced at construction: OTP codes have
 * at least 6 digits, live at most 10 minutes and allow at most 5 attempts; TOTP is RFC 6238
 * SHA-1/6 digits/30 s with ±1 step. A policy outside the bounds is a TypeError at boot.
 */

export interface MfaPolicy {
  totp: {
    issuer: string;
    /** Steps accepted either side of now (RFC 6238 §5.2). */
    window: number;
    /** How long a begun enrollment may wait for its confirming code. */
    enrollmentTtlMs: number;
  };
  /** Wrong TOTP/backup codes allowed per user per window before `too_many_attempts`. */
  failures: { limit: number; windowMs: number };
  backupCodes: { count: number };
  otp: {
    digits: number;
    ttlMs: number;
    maxAttempts: number;
    /** Sends per pending login (each send replaces the code and its attempt budget). */
    maxSendsPerChallenge: number;
    resendCooldownMs: number;
    /** Sends per user and channel per hour, across logins (SMS pumping, mail bombing). */
    maxSendsPerUserPerHour: number;
  };
  webauthn: { challengeTtlMs: number; timeoutMs: number; maxCredentials: number };
}

export const DEFAULT_MFA_POLICY: MfaPolicy = Object.freeze({
  totp: { issuer: 'Q2', window: 1, enrollmentTtlMs: 15 * 60_000 },
  failures: { limit: 10, windowMs: 15 * 60_000 },
  backupCodes: { count: 10 },
  otp: { digits: 6, ttlMs: 10 * 60_000, maxAttempts: 5, maxSendsPerChallenge: 3, resendCooldownMs: 30_000, maxSendsPerUserPerHour: 10 },
  webauthn: { challengeTtlMs: 5 * 60_000, timeoutMs: 120_000, maxCredentials: 10 },
});

export type MfaPolicyOverrides = { [K in keyof MfaPolicy]?: Partial<MfaPolicy[K]> };

function check(condition: boolean, message: string): void {
  if (!condition) throw new TypeError(`MFA policy: ${message}`);
}

const int = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;

export function resolvePolicy(overrides: MfaPolicyOverrides = {}): MfaPolicy {
  const p: MfaPolicy = {
    totp: { ...DEFAULT_MFA_POLICY.totp, ...overrides.totp },
    failures: { ...DEFAULT_MFA_POLICY.failures, ...overrides.failures },
    backupCodes: { ...DEFAULT_MFA_POLICY.backupCodes, ...overrides.backupCodes },
    otp: { ...DEFAULT_MFA_POLICY.otp, ...overrides.otp },
    webauthn: { ...DEFAULT_MFA_POLICY.webauthn, ...overrides.webauthn },
  };
  check(/^[A-Za-z0-9 ._-]{1,32}$/.test(p.totp.issuer), 'totp.issuer must be 1..32 plain characters');
  check(int(p.totp.window, 0, 2), 'totp.window must be 0..2');
  check(int(p.totp.enrollmentTtlMs, 60_000, 3_600_000), 'totp.enrollmentTtlMs must be 1..60 min');
  check(int(p.failures.limit, 1, 100), 'failures.limit must be 1..100 (SPEC: never more than 100)');
  check(int(p.failures.windowMs, 60_000, 86_400_000), 'failures.windowMs must be 1 min..24 h');
  check(int(p.backupCodes.count, 5, 20), 'backupCodes.count must be 5..20');
  check(int(p.otp.digits, 6, 10), 'otp.digits must be 6..10');
  check(int(p.otp.ttlMs, 30_000, 600_000), 'otp.ttlMs must be 30 s..10 min');
  check(int(p.otp.maxAttempts, 1, 5), 'otp.maxAttempts must be 1..5');
  check(int(p.otp.maxSendsPerChallenge, 1, 10), 'otp.maxSendsPerChallenge must be 1..10');
  check(int(p.otp.resendCooldownMs, 0, 600_000), 'otp.resendCooldownMs must be 0..10 min');
  check(int(p.otp.maxSendsPerUserPerHour, 1, 100), 'otp.maxSendsPerUserPerHour must be 1..100');
  check(int(p.webauthn.challengeTtlMs, 30_000, 900_000), 'webauthn.challengeTtlMs must be 30 s..15 min');
  check(int(p.webauthn.timeoutMs, 30_000, 900_000), 'webauthn.timeoutMs must be 30 s..15 min');
  check(int(p.webauthn.maxCredentials, 1, 50), 'webauthn.maxCredentials must be 1..50');
  return p;
}
