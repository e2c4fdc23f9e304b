/**
 * Multi-factor authentication (SPEC §3): RFC 6238 TOTP, one-time backup codes, email and SMS
 * codes, and WebAuthn passkeys. The identity routes call `createMfaService(...)`; see docs/mfa.md.
 */
export { createMfaService, type MfaServiceDeps } from './service.js';
export { DEFAULT_MFA_POLICY, resolvePolicy, type MfaPolicy, type MfaPolicyOverrides } from './policy.js';
export { AMR_BY_METHOD } from './amr.js';
export { PASSKEY_AMR } from './webauthn/authentication.js';
export type { RelyingParty } from './webauthn/context.js';
export { webauthnAuthenticationResponseSchema, webauthnRegistrationResponseSchema } from './webauthn/response-schemas.js';
export { hotp, matchTotp, totp, totpStep, type OtpAlgorithm, type TotpParams } from './totp/hotp.js';
export { base32Decode, base32Encode } from './totp/base32.js';
export type {
  BackupCodeService, DeliveredOtpService, EventContext, FailureReason, MfaMethod, MfaService, TotpConfirmation,
  TotpEnrollment, TotpService, Verdict, WebAuthnAuthenticationVerdict, WebAuthnCredentialSummary,
  WebAuthnRegistrationVerdict, WebAuthnService,
} from './types.js';
