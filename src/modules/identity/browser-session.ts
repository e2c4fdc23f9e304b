/**
 * Browser sessions (SPEC §2): tokens in `__Host-` cookies (HttpOnly, Secure, SameSite=Strict,
 * Path=/) instead of the response body, and a CSRF token for every state-changing request the
 * cookie authenticates. A client opts in with `X-Q2-Client: browser` on the sign-in calls.
 *
 * The CSRF token is HMAC-SHA256(session id) under a key-ring subkey (`csrf/v1` of the platform
 * field key), so it needs no storage, is bound to one session, and a page on another origin can
 * neither read it (same-origin policy) nor forge it. Bearer and signed requests need none.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyObject } from 'node:crypto';
import { AppError } from '../../lib/errors/index.js';
import type { TokenPair } from './auth-service.js';

export const ACCESS_COOKIE = '__Host-q2_at';
export const REFRESH_COOKIE = '__Host-q2_rt';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface CsrfKeys {
  /** The subkey of the given version (current when omitted). */
  key(version?: number): Promise<{ version: number; key: KeyObject }>;
}

export function wantsCookies(request: FastifyRequest): boolean {
  return request.headers['x-q2-client'] === 'browser';
}

/** Cookie header → map; malformed pairs are ignored (a client error must not become a 5xx). */
export function readCookies(request: FastifyRequest): Map<string, string> {
  const out = new Map<string, string>();
  const header = request.headers.cookie;
  if (typeof header !== 'string') return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

export async function csrfTokenFor(keys: CsrfKeys, sessionId: string, version?: number): Promise<string> {
  const { version: v, key } = await keys.key(version);
  return `v${v}.${createHmac('sha256', key).update(`csrf:${sessionId}`).digest('base64url')}`;
}

/** Throws CSRF_FAILED unless a state-changing request carries this session's token. */
export async function checkCsrf(keys: CsrfKeys, request: FastifyRequest, sessionId: string): Promise<void> {
  if (SAFE_METHODS.has(request.method)) return;
  const presented = request.headers[CSRF_HEADER];
  const match = typeof presented === 'string' ? /^v([1-9][0-9]{0,8})\.[A-Za-z0-9_-]{43}$/.exec(presented) : null;
  if (!match || typeof presented !== 'string') throw new AppError('CSRF_FAILED', 'X-CSRF-Token missing or invalid.');
  const expected = await csrfTokenFor(keys, sessionId, Number(match[1])).catch(() => '');
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new AppError('CSRF_FAILED', 'X-CSRF-Token missing or invalid.');
}

function cookie(name: string, value: string, maxAgeS: number): string {
  return `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}`;
}

/** Moves the tokens into cookies; the body keeps only what a page may know. */
export async function sendAsCookies(reply: FastifyReply, keys: CsrfKeys, tokens: TokenPair, sessionId: string, refreshMaxAgeS: number) {
  void reply.header('set-cookie', [cookie(ACCESS_COOKIE, tokens.accessToken, tokens.expiresIn), cookie(REFRESH_COOKIE, tokens.refreshToken, refreshMaxAgeS)]);
  return { tokenType: 'Cookie' as const, expiresIn: tokens.expiresIn, csrfToken: await csrfTokenFor(keys, sessionId) };
}

export function clearCookies(reply: FastifyReply): void {
  void reply.header('set-cookie', [cookie(ACCESS_COOKIE, '', 0), cookie(REFRESH_COOKIE, '', 0)]);
}
