/**
 * The verified-token cache must never widen acceptance: a cached token still expires on time,
 * a future-dated token is re-verified, and only tokens that verified are cached.
 */
import { describe, expect, it } from 'vitest';
import { SignJWT, decodeJwt, generateKeyPair, type CryptoKey } from 'jose';
import { createManualClock } from '../../../lib/clock/index.js';
import { AppError } from '../../../lib/errors/index.js';
import { createAccessTokenService, JWT_AUDIENCE, JWT_ISSUER } from './access-tokens.js';
import type { SigningKeyRing } from './signing-keys.js';

async function fixture() {
  const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  let lookups = 0;
  const keys: SigningKeyRing = {
    current: async () => ({ kid: 'k1', privateKey: privateKey as CryptoKey }),
    verificationKey: async (kid) => { lookups++; return kid === 'k1' ? publicKey as CryptoKey : undefined; },
    jwks: async () => ({ keys: [] }),
    rotate: async () => 'k2',
  };
  return { clock, service: createAccessTokenService({ keys, clock }), privateKey, lookups: () => lookups };
}

const codeOf = async (p: Promise<unknown>) => p.then(() => 'accepted', (e: unknown) => (e instanceof AppError ? e.code : String(e)));

describe('access-token verification cache', () => {
  it('verifies a token once, then answers from the cache until it expires', async () => {
    const { clock, service, lookups } = await fixture();
    const { token } = await service.issue({ userId: 'u1', sessionId: 's1', amr: ['pwd'], authTimeMs: clock.now(), roles: ['trader'] });
    await service.verify(token);
    const after = lookups();
    for (let i = 0; i < 5; i++) expect((await service.verify(token)).sub).toBe('u1');
    expect(lookups()).toBe(after);
    clock.advance(900_000 + 30_000 + 1_000);
    expect(await codeOf(service.verify(token))).toBe('AUTH_TOKEN_EXPIRED');
  });

  it('re-verifies a cached token once the clock is behind its iat, and refuses it', async () => {
    const { clock, service } = await fixture();
    const { token } = await service.issue({ userId: 'u1', sessionId: 's1', amr: ['pwd'], authTimeMs: clock.now(), roles: ['trader'] });
    await service.verify(token);
    clock.advance(-120_000);
    expect(await codeOf(service.verify(token))).toBe('AUTH_TOKEN_INVALID');
  });

  it('never caches a token that failed: a forged one fails every time', async () => {
    const { clock, service } = await fixture();
    const { privateKey: attacker } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const { token } = await service.issue({ userId: 'u1', sessionId: 's1', amr: ['pwd'], authTimeMs: clock.now(), roles: ['trader'] });
    const forged = await new SignJWT({ ...decodeJwt(token) }).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
      .setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).sign(attacker);
    for (let i = 0; i < 3; i++) expect(await codeOf(service.verify(forged))).toBe('AUTH_TOKEN_INVALID');
  });
});
