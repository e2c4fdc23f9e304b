/**
 * What the SDK authenticates with, and the headers that follow from it for one attempt: an API
 * key signs every attempt afresh (RFC 9421: new `created`, new 128-bit nonce, RFC 9530
 * Content-Digest of the exact body bytes), so a retry is never a replay; a bearer token is sent
 * as is.
 */
import type { KeyObject } from 'node:crypto';
import { signRequest, signingKeyFrom, type SigningKey } from '../modules/signing/index.js';

export type Credentials =
  | { kind: 'apikey'; keyId: string; algorithm: 'ed25519'; /** KeyObject or PKCS#8 PEM. */ privateKey: KeyObject | string }
  | { kind: 'apikey'; keyId: string; algorithm: 'hmac-sha256'; /** As returned at creation: base64. */ secret: string | Uint8Array }
  | { kind: 'bearer'; token: string };

/** The authentication headers of one attempt. */
export type Authorizer = (method: string, url: URL, body: Buffer | null, nowMs: number) => Record<string, string>;

export function authorizerFor(credentials: Credentials | undefined): Authorizer {
  if (credentials === undefined) return () => ({});
  if (credentials.kind === 'bearer') {
    const header = { authorization: `Bearer ${credentials.token}` };
    return () => header;
  }
  const key: SigningKey = credentials.algorithm === 'ed25519'
    ? signingKeyFrom('ed25519', credentials.privateKey)
    : signingKeyFrom('hmac-sha256', typeof credentials.secret === 'string' ? Buffer.from(credentials.secret, 'base64') : credentials.secret);
  const { keyId } = credentials;
  return (method, url, body, nowMs) => ({ ...signRequest({ method, url, body, keyId, key, created: Math.floor(nowMs / 1000) }) });
}
