/**
 * Who is making a request, as established by the identity module (bearer JWT) or by request
 * signing (API key). Capabilities authorise against this, never against raw tokens.
 */
export type Role = 'trader' | 'admin' | 'security' | 'compliance';
export const ROLES: readonly Role[] = ['trader', 'admin', 'security', 'compliance'];

export type ApiKeyScope = 'read' | 'trade' | 'withdraw';

export interface Principal {
  kind: 'user' | 'apikey';
  userId: string;
  roles: readonly Role[];
  /** Session of a bearer token; absent for API keys. */
  sessionId?: string;
  /** Access-token id (jti), for denylisting on logout. */
  tokenId?: string;
  apiKeyId?: string;
  scopes?: readonly ApiKeyScope[];
  /** Authentication methods (RFC 8176): e.g. ['pwd','otp'], ['hwk','user']. */
  amr: readonly string[];
  /** Unix ms of the last (multi-factor) authentication, for step-up checks. */
  authTime: number;
}
