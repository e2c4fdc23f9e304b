/** JSON schemas shared by the identity routes (bounded strings, no unknown fields). */
export const email = { type: 'string', format: 'email', minLength: 3, maxLength: 254 } as const;
/** Policy (12–128 chars) is checked in code with PASSWORD_POLICY; the schema only bounds work. */
export const password = { type: 'string', minLength: 1, maxLength: 1024 } as const;
export const opaqueToken = { type: 'string', minLength: 10, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' } as const;
export const otpCode = { type: 'string', minLength: 6, maxLength: 32, pattern: '^[A-Za-z0-9-]+$' } as const;
export const mfaMethod = { type: 'string', enum: ['totp', 'backup_code', 'email', 'sms', 'webauthn'] } as const;
/** WebAuthn JSON (RFC-less, W3C WebAuthn L3 JSON encoding); validated by @simplewebauthn. */
export const webauthnJson = { type: 'object', maxProperties: 20 } as const;

/** Bearer clients get both tokens; browser clients (`X-Q2-Client: browser`) get cookies and a CSRF token. */
export const tokenPair = {
  type: 'object', additionalProperties: false, required: ['tokenType', 'expiresIn'],
  properties: {
    accessToken: { type: 'string' }, refreshToken: { type: 'string' },
    tokenType: { type: 'string', enum: ['Bearer', 'Cookie'] }, expiresIn: { type: 'integer' },
    csrfToken: { type: 'string' },
  },
} as const;

export function body(properties: Record<string, unknown>, required: string[]) {
  return { type: 'object', additionalProperties: false, required, properties } as const;
}
