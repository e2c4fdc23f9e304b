/**
 * Public types of the MFA module: the verdicts its checks return and the service the identity
 * routes call. An expected rejection (wrong, expired, replayed code) is a returned verdict, never
 * an exception; exceptions are reserved for misuse (TypeError), configuration (AppError
 * MFA_METHOD_UNAVAILABLE), rate limits (RATE_LIMITED) and outages.
 */
import type {
  AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

export type MfaMethod = 'totp' | 'backup_code' | 'email' | 'sms' | 'webauthn';

export type FailureReason = 'invalid' | 'expired' | 'replayed' | 'too_many_attempts' | 'not_enrolled';

export type Verdict = { ok: true } | { ok: false; reason: FailureReason };

/** Request facts copied into security events (the services never see the HTTP request). */
export interface EventContext {
  ip?: string | null;
  requestId?: string | null;
}

export interface TotpEnrollment {
  /** Base32 secret (RFC 4648), shown once for manual entry. */
  secret: string;
  /** `otpauth://totp/Q2:<label>?secret=…&issuer=Q2&algorithm=SHA1&digits=6&period=30` */
  otpauthUri: string;
}

export type TotpConfirmation = { ok: true; backupCodes: string[] } | { ok: false; reason: FailureReason };

export interface TotpService {
  /** Starts (or restarts) enrollment; MFA_ALREADY_ENROLLED when a confirmed secret exists. */
  beginEnrollment(userId: string, label: string, ctx?: EventContext): Promise<TotpEnrollment>;
  /** Activates the pending secret with a valid code and issues fresh backup codes. */
  confirmEnrollment(userId: string, code: string, ctx?: EventContext): Promise<TotpConfirmation>;
  /** Checks a code; each (account, time step) is accepted once, across replicas. */
  verify(userId: string, code: string, ctx?: EventContext): Promise<Verdict>;
  /** Removes the secret; true when one existed. Backup codes go too when no factor remains. */
  disable(userId: string, ctx?: EventContext): Promise<boolean>;
}

export interface BackupCodeService {
  /** Replaces all codes with 10 new ones, returned once in display form (`XXXX-XXXX-XXXX`). */
  regenerate(userId: string, ctx?: EventContext): Promise<string[]>;
  verify(userId: string, code: string, ctx?: EventContext): Promise<Verdict>;
  remaining(userId: string): Promise<number>;
}

export interface DeliveredOtpService {
  /**
   * Sends a fresh code for the pending login `challengeKey` (it replaces an earlier one).
   * Throws RATE_LIMITED (with Retry-After) past the resend limits, MFA_METHOD_UNAVAILABLE when
   * the channel is not configured, NOTIFY_DELIVERY_FAILED when the provider fails.
   */
  send(userId: string, challengeKey: string, destination: string, ctx?: EventContext): Promise<void>;
  verify(userId: string, challengeKey: string, code: string, ctx?: EventContext): Promise<Verdict>;
}

export interface WebAuthnCredentialSummary {
  credentialId: string;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  transports: string[];
  createdAt: number;
  lastUsedAt: number | null;
}

export type WebAuthnRegistrationVerdict = ({ ok: true } | { ok: false; reason: FailureReason }) & { credentialId?: string };

export type WebAuthnAuthenticationVerdict =
  | { ok: true; userId: string; userVerified: true; credentialId: string; amr: readonly string[] }
  | { ok: false; reason: FailureReason };

export interface WebAuthnService {
  /** Options for navigator.credentials.create(); the challenge is bound to this user. */
  registrationOptions(user: { id: string; name: string; displayName?: string }, ctx?: EventContext): Promise<PublicKeyCredentialCreationOptionsJSON>;
  verifyRegistration(userId: string, response: RegistrationResponseJSON | unknown, ctx?: EventContext): Promise<WebAuthnRegistrationVerdict>;
  /**
   * Options for navigator.credentials.get(), bound to the pending login `challengeKey`. With a
   * userId (second factor) only that user's passkeys are allowed; without (passwordless) any
   * discoverable credential, and the user comes from the credential.
   */
  authenticationOptions(challengeKey: string, userId?: string, ctx?: EventContext): Promise<PublicKeyCredentialRequestOptionsJSON>;
  verifyAuthentication(challengeKey: string, response: AuthenticationResponseJSON | unknown, ctx?: EventContext): Promise<WebAuthnAuthenticationVerdict>;
  listCredentials(userId: string): Promise<WebAuthnCredentialSummary[]>;
  /** True when the credential existed and belonged to the user. */
  removeCredential(userId: string, credentialId: string, ctx?: EventContext): Promise<boolean>;
}

export interface MfaService {
  /**
   * The second factors the user can use now, strongest first. `email`/`sms` are listed when the
   * caller says the user has a verified address/phone and the channel is configured.
   */
  methodsFor(userId: string, contacts?: { email?: boolean; phone?: boolean }): Promise<MfaMethod[]>;
  totp: TotpService;
  backupCodes: BackupCodeService;
  email: DeliveredOtpService;
  sms: DeliveredOtpService;
  webauthn: WebAuthnService;
  /** Deletes every factor of the user (erasure, account deletion). */
  forgetUser(userId: string): Promise<void>;
}
