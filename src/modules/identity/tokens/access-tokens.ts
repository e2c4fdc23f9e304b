/**
 * Access tokens (SPEC §3; RFC 9068 JWT profile for OAuth access tokens): EdDSA-signed JWTs with
 * `typ: at+jwt`, 15-minute lifetime, `jti`, `sid`, `amr`, `auth_time`, `roles`.
 *
 * Verification is pinned: algorithm list ['EdDSA'], issuer, audience, `typ`, clock tolerance 30 s,
 * and the key comes only from our own key ring by `kid`. Headers that try to bring their own key
 * (`jwk`, `jku`, `x5u`, `x5c`) are refused before any key lookup.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify, decodeProtectedHeader, type JWTPayload } from 'jose';
import type { Clock } from '../../../lib/clock/index.js';
import { AppError } from '../../../lib/errors/index.js';
import { ROLES, type Role } from '../../../lib/auth/index.js';
import { JWT_ALG, type SigningKeyRing } from './signing-keys.js';

export const ACCESS_TOKEN_TTL_S = 900;
export const JWT_ISSUER = 'urn:q2:auth';
export const JWT_AUDIENCE = 'urn:q2:api';
const CLOCK_TOLERANCE_S = 30;
const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

export interface AccessClaims {
  sub: string;
  sid: string;
  jti: string;
  amr: string[];
  /** Unix seconds. */
  auth_time: number;
  roles: Role[];
  /** Unix seconds. */
  iat: number;
  exp: number;
}

export interface AccessTokenService {
  issue(input: { userId: string; sessionId: string; amr: readonly string[]; authTimeMs: number; roles: readonly Role[] }): Promise<{ token: string; claims: AccessClaims }>;
  /** Throws AppError AUTH_TOKEN_EXPIRED or AUTH_TOKEN_INVALID. */
  verify(token: string): Promise<AccessClaims>;
}

function invalid(detail = 'Access token invalid.'): AppError {
  return new AppError('AUTH_TOKEN_INVALID', detail);
}

function asClaims(payload: JWTPayload): AccessClaims {
  const { sub, sid, jti, amr, auth_time: authTime, roles, iat, exp } = payload as Record<string, unknown>;
  const ok = typeof sub === 'string' && typeof sid === 'string' && typeof jti === 'string'
    && Array.isArray(amr) && amr.every((m) => typeof m === 'string')
    && typeof authTime === 'number' && typeof iat === 'number' && typeof exp === 'number'
    && Array.isArray(roles) && roles.every((r) => (ROLES as readonly unknown[]).includes(r));
  if (!ok) throw invalid('Access token claims malformed.');
  return payload as unknown as AccessClaims;
}

/**
 * Verified tokens, keyed by the exact token string. A byte-identical token has the same
 * signature verdict, so the Ed25519 verification (~170 µs) runs once per token instead of once
 * per request. Only successful verifications are cached; expiry and `iat` are re-checked
 * against the clock on every hit, and revocation is checked per request by the caller anyway.
 */
const VERIFIED_CACHE_MAX = 10_000;

export function createAccessTokenService(deps: { keys: SigningKeyRing; clock: Clock }): AccessTokenService {
  const { keys, clock } = deps;
  const verified = new Map<string, AccessClaims>();

  function fromCache(token: string): AccessClaims | undefined {
    const claims = verified.get(token);
    if (!claims) return undefined;
    const nowS = clock.now() / 1000;
    if (nowS > claims.exp + CLOCK_TOLERANCE_S) {
      verified.delete(token);
      throw new AppError('AUTH_TOKEN_EXPIRED', 'Access token expired.');
    }
    // A clock moved backwards (tests, NTP step) must not make a future token acceptable.
    if (claims.iat > nowS + CLOCK_TOLERANCE_S) return undefined;
    return claims;
  }

  function remember(token: string, claims: AccessClaims): void {
    if (verified.size >= VERIFIED_CACHE_MAX) verified.delete(verified.keys().next().value as string);
    verified.set(token, claims);
  }

  return {
    async issue(input) {
      const { kid, privateKey } = await keys.current();
      const iat = Math.floor(clock.now() / 1000);
      const claims: AccessClaims = {
        sub: input.userId, sid: input.sessionId, jti: randomUUID(), amr: [...input.amr],
        auth_time: Math.floor(input.authTimeMs / 1000), roles: [...input.roles], iat, exp: iat + ACCESS_TOKEN_TTL_S,
      };
      const token = await new SignJWT({ sid: claims.sid, amr: claims.amr, auth_time: claims.auth_time, roles: claims.roles })
        .setProtectedHeader({ alg: JWT_ALG, typ: 'at+jwt', kid })
        .setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setSubject(claims.sub)
        .setJti(claims.jti).setIssuedAt(iat).setExpirationTime(claims.exp)
        .sign(privateKey);
      return { token, claims };
    },

    async verify(token) {
      const cached = fromCache(token);
      if (cached) return cached;
      let header: Record<string, unknown>;
      try {
        header = decodeProtectedHeader(token) as Record<string, unknown>;
      } catch {
        throw invalid();
      }
      if (FORBIDDEN_HEADERS.some((h) => h in header)) throw invalid('Access token carries its own key.');
      if (header.alg !== JWT_ALG || typeof header.kid !== 'string') throw invalid();
      const key = await keys.verificationKey(header.kid);
      if (!key) throw invalid('Access token signed by an unknown key.');
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [JWT_ALG], issuer: JWT_ISSUER, audience: JWT_AUDIENCE, typ: 'at+jwt',
          clockTolerance: CLOCK_TOLERANCE_S, currentDate: new Date(clock.now()),
          requiredClaims: ['sub', 'jti', 'iat', 'exp'],
        });
        // jose checks nbf but not a future iat; a token "issued" later than now is forged or
        // from a skewed issuer either way.
        if (typeof payload.iat === 'number' && payload.iat > clock.now() / 1000 + CLOCK_TOLERANCE_S) throw invalid('Access token issued in the future.');
        const claims = asClaims(payload);
        remember(token, claims);
        return claims;
      } catch (error) {
        if (error instanceof AppError) throw error;
        if (error instanceof joseErrors.JWTExpired) throw new AppError('AUTH_TOKEN_EXPIRED', 'Access token expired.');
        throw invalid();
      }
    },
  };
}
