/**
 * JSON schemas of the browser's WebAuthn responses (W3C WebAuthn L3 RegistrationResponseJSON /
 * AuthenticationResponseJSON), bounded and closed. The identity routes embed them in their body
 * schemas; the service validates with the same schemas, so a caller that forgot cannot pass a
 * malformed or oversized object to the verifier.
 */
import { Ajv } from 'ajv';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

const b64url = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$' }) as const;
// Credential ids are at most 1023 bytes (WebAuthn §5.8.3 / CTAP2), 1364 base64url characters.
const credentialId = b64url(1364);
const TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const;

const common = {
  id: credentialId,
  rawId: credentialId,
  type: { const: 'public-key' },
  authenticatorAttachment: { enum: ['platform', 'cross-platform'] },
  // Browsers report extension outputs here (e.g. credProps); their shape is open but bounded.
  clientExtensionResults: { type: 'object', maxProperties: 16 },
} as const;

export const webauthnRegistrationResponseSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'rawId', 'type', 'response', 'clientExtensionResults'],
  properties: {
    ...common,
    response: {
      type: 'object',
      additionalProperties: false,
      required: ['clientDataJSON', 'attestationObject'],
      properties: {
        clientDataJSON: b64url(4096),
        attestationObject: b64url(65_536),
        authenticatorData: b64url(65_536),
        transports: { type: 'array', maxItems: TRANSPORTS.length, uniqueItems: true, items: { enum: TRANSPORTS } },
        publicKeyAlgorithm: { type: 'integer', minimum: -65_536, maximum: 65_535 },
        publicKey: b64url(4096),
      },
    },
  },
} as const;

export const webauthnAuthenticationResponseSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'rawId', 'type', 'response', 'clientExtensionResults'],
  properties: {
    ...common,
    response: {
      type: 'object',
      additionalProperties: false,
      required: ['clientDataJSON', 'authenticatorData', 'signature'],
      properties: {
        clientDataJSON: b64url(4096),
        authenticatorData: b64url(4096),
        signature: b64url(1024),
        userHandle: b64url(128),
      },
    },
  },
} as const;

const ajv = new Ajv({ strict: true, allErrors: false, coerceTypes: false, removeAdditional: false });
const registrationValidator = ajv.compile(webauthnRegistrationResponseSchema);
const authenticationValidator = ajv.compile(webauthnAuthenticationResponseSchema);

export function isRegistrationResponse(value: unknown): value is RegistrationResponseJSON {
  return registrationValidator(value);
}

export function isAuthenticationResponse(value: unknown): value is AuthenticationResponseJSON {
  return authenticationValidator(value);
}
