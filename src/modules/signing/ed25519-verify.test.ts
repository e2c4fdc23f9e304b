/**
 * The request verifier's Ed25519 check (libsodium) against the published Wycheproof vectors and
 * against OpenSSL (node:crypto, which the SDK signs with): a signature one accepts and the
 * other refuses would be a forgery accepted or a genuine client refused.
 */
import { generateKeyPairSync, sign, verify, createPublicKey } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wycheproof } from '../crypto/testing/vectors.js';
import { isUsableEd25519PublicKey, rawEd25519PublicKey, verifyEd25519 } from './ed25519-verify.js';

const file = wycheproof('ed25519_test.json');

describe('verifyEd25519 (libsodium)', () => {
  it('gives the Wycheproof verdict for every Ed25519 vector', () => {
    let checked = 0;
    for (const group of file.testGroups) {
      const publicKey = Buffer.from((group.publicKey as { pk: string }).pk, 'hex');
      for (const test of group.tests) {
        const valid = verifyEd25519(publicKey, Buffer.from(test.msg as string, 'hex'), Buffer.from(test.sig as string, 'hex'));
        expect(valid, `tcId ${test.tcId} ${test.comment ?? ''}`).toBe(test.result === 'valid');
        checked++;
      }
    }
    expect(checked).toBe(file.numberOfTests);
    expect(checked).toBeGreaterThan(100);
  });

  it('agrees with OpenSSL on genuine and single-bit-tampered signatures (property)', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = rawEd25519PublicKey(publicKey);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.integer({ min: 0, max: 7 }), fc.boolean(), (bytes, at, bit, tamper) => {
      const message = Buffer.from(bytes);
      const signature = sign(null, message, privateKey);
      if (tamper) signature[at % 64] = (signature[at % 64] as number) ^ (1 << bit);
      const ours = verifyEd25519(raw, message, signature);
      expect(ours).toBe(verify(null, message, publicKey, signature));
      expect(ours).toBe(!tamper);
    }), { numRuns: 300 });
  });

  it('refuses the universal signature under the neutral-point key (valid for every message under a lax verifier)', () => {
    // A = neutral point, R = neutral point, S = 0: [S]B = R + [k]A holds for any message k.
    const neutral = Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]);
    const universal = Buffer.concat([neutral, Buffer.alloc(32)]);
    // node:crypto (OpenSSL 3, Node 20.20) answers true for every message here: a key owner could
    // produce one signature that "covers" any request and later disown it.
    for (const message of [Buffer.from('POST /v1/withdrawals'), Buffer.alloc(0)]) expect(verifyEd25519(neutral, message, universal)).toBe(false);
  });

  it('refuses wrong lengths instead of reading past them, and takes the raw key from a KeyObject', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = rawEd25519PublicKey(publicKey);
    const signature = sign(null, Buffer.from('m'), privateKey);
    expect(raw).toHaveLength(32);
    expect(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' }).equals(publicKey)).toBe(true);
    expect(verifyEd25519(raw, Buffer.from('m'), signature)).toBe(true);
    expect(verifyEd25519(raw, Buffer.from('m'), signature.subarray(0, 63))).toBe(false);
    expect(verifyEd25519(raw.subarray(0, 31), Buffer.from('m'), signature)).toBe(false);
    expect(() => rawEd25519PublicKey(generateKeyPairSync('x25519').publicKey)).toThrow(TypeError);
    // Usable keys: a real one yes; the neutral point (order 1) and a short key no.
    expect(isUsableEd25519PublicKey(raw)).toBe(true);
    expect(isUsableEd25519PublicKey(Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]))).toBe(false);
    expect(isUsableEd25519PublicKey(raw.subarray(0, 31))).toBe(false);
  });
});
