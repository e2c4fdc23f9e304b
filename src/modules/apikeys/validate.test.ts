/** SPEC §4 rules for a new key that the route schema cannot express, and Ed25519 key parsing. */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseEd25519PublicKey } from './key-material.js';
import { validateNewKey } from './validate.js';

const NOW = Date.UTC(2026, 0, 1);
const ed = generateKeyPairSync('ed25519');
const pem = ed.publicKey.export({ format: 'pem', type: 'spki' }).toString();
/** An SPKI PEM around 32 raw bytes that need not be a usable point (node:crypto accepts any). */
const pemOfRaw = (raw: Buffer) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
const SMALL_ORDER = 'publicKey is a small-order or non-canonical Ed25519 point, which verifies no signature';

describe('validateNewKey', () => {
  it('canonicalises and de-duplicates the allowlist, de-duplicates scopes and trims the label', () => {
    const result = validateNewKey({
      label: '  bot  ', scopes: ['trade', 'read', 'trade'], ipAllowlist: ['192.0.2.1', '192.0.2.1/32', '2001:DB8:0:0::/32'],
      algorithm: 'ed25519', publicKey: `\n${pem}\n`,
    }, NOW);
    expect(result).toEqual({
      ok: true,
      key: { label: 'bot', algorithm: 'ed25519', scopes: ['trade', 'read'], ipAllowlist: ['192.0.2.1/32', '2001:db8::/32'], expiresAt: null, publicKey: pem },
    });
  });

  it('reports every problem with its path', () => {
    const result = validateNewKey({ label: ' ', scopes: ['withdraw'], ipAllowlist: ['300.1.1.1'], algorithm: 'hmac-sha256', publicKey: pem, expiresAt: NOW }, NOW);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path).sort()).toEqual(['body/expiresAt', 'body/ipAllowlist/0', 'body/label', 'body/publicKey']);
  });

  it('requires an allowlist for withdraw and a public key for ed25519', () => {
    const result = validateNewKey({ label: 'w', scopes: ['withdraw'], ipAllowlist: [], algorithm: 'ed25519' }, NOW);
    expect(result).toMatchObject({ ok: false, errors: [{ path: 'body/publicKey' }, { path: 'body/ipAllowlist' }] });
  });
});

describe('parseEd25519PublicKey', () => {
  it.each([
    ['a PKCS#8 private key', ed.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'publicKey must be a SubjectPublicKeyInfo PEM (-----BEGIN PUBLIC KEY-----)'],
    ['an X25519 key', generateKeyPairSync('x25519').publicKey.export({ format: 'pem', type: 'spki' }).toString(), 'publicKey must be an Ed25519 key'],
    ['a P-256 key', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }).toString(), 'publicKey must be an Ed25519 key'],
    ['garbage inside the armour', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', 'publicKey is not a valid PEM public key'],
    ['a bare base64 key', ed.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), 'publicKey must be a SubjectPublicKeyInfo PEM (-----BEGIN PUBLIC KEY-----)'],
    // Keys a forger would pick: every signature "verifies" under them in lax implementations.
    ['the neutral point (order 1)', pemOfRaw(Buffer.concat([Buffer.from([1]), Buffer.alloc(31)])), SMALL_ORDER],
    ['the point of order 2 (y = p − 1)', pemOfRaw(Buffer.concat([Buffer.from([0xec]), Buffer.alloc(30, 0xff), Buffer.from([0x7f])])), SMALL_ORDER],
    ['a non-canonical encoding (y = p + 1)', pemOfRaw(Buffer.concat([Buffer.from([0xee]), Buffer.alloc(30, 0xff), Buffer.from([0x7f])])), SMALL_ORDER],
  ])('refuses %s', (_name, text, reason) => {
    expect(parseEd25519PublicKey(text)).toEqual({ ok: false, reason });
  });
});
