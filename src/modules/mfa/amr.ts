/**
 * RFC 8176 authentication method references for each second factor, for the access token's
 * `amr` claim. Identity adds `pwd` when a password was checked too. A user-verified passkey is
 * two factors on its own (`hwk` possession + `user` verification), so passwordless passkey login
 * yields `["hwk","user"]`.
 */
import type { MfaMethod } from './types.js';
import { PASSKEY_AMR } from './webauthn/authentication.js';

export const AMR_BY_METHOD: Readonly<Record<MfaMethod, readonly string[]>> = Object.freeze({
  totp: Object.freeze(['otp']),
  backup_code: Object.freeze(['otp']),
  email: Object.freeze(['otp']),
  sms: Object.freeze(['sms']),
  webauthn: PASSKEY_AMR,
});
