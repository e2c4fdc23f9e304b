/**
 * Interoperability with an independent RFC 9421 implementation, the npm package
 * `http-message-signatures` (dev dependency, tests only), in both directions: it signs and we
 * verify; we sign and it verifies. The HTTP-level check (the running server accepting its
 * requests) is in test/e2e/apikeys-sdk.test.ts.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createSigner, createVerifier, httpbis } from 'http-message-signatures';
import { describe, expect, it } from 'vitest';
import { signingKeyFrom, verifyingKeyFrom } from './algorithms.js';
import { contentDigest } from './content-digest.js';
import { normaliseAuthority, splitTarget } from './components.js';
import { signRequest } from './sign.js';
import { q2SignaturePolicy, verifyRequestSignature } from './verify.js';

const CREATED_S = Math.floor(Date.UTC(2026, 5, 1, 12) / 1000);
const URL_TEXT = 'https://api.q2.test:8443/v1/orders?symbol=BTC-USD';
const BODY = Buffer.from('{"clientOrderId":"c-1","quantity":"0.5"}');

type KeyCase = { algorithm: 'hmac-sha256'; secret: Buffer } | { algorithm: 'ed25519'; privateKey: KeyObject; publicKey: KeyObject };
const cases: KeyCase[] = [
  { algorithm: 'hmac-sha256', secret: randomBytes(32) },
  { algorithm: 'ed25519', ...generateKeyPairSync('ed25519') },
];

const message = (headers: Record<string, string | string[]>) => {
  const url = new URL(URL_TEXT);
  const fields = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: 'POST', scheme: 'https' as const, authority: normaliseAuthority(url.host, 'https'),
    ...splitTarget(`${url.pathname}${url.search}`), fields, hasBody: true, body: BODY,
  };
};

describe.each(cases)('$algorithm with http-message-signatures', (key) => {
  const verifying = key.algorithm === 'hmac-sha256'
    ? verifyingKeyFrom(key.algorithm, key.secret)
    : verifyingKeyFrom(key.algorithm, key.publicKey.export({ format: 'der', type: 'spki' }));

  it('verifies a request the package signed with the SPEC §4 components and parameters', async () => {
    const signed = await httpbis.signMessage({
      key: createSigner(key.algorithm === 'hmac-sha256' ? key.secret : key.privateKey, key.algorithm, 'key-1'),
      name: 'sig1',
      fields: ['@method', '@authority', '@path', '@query', 'content-digest'],
      params: ['created', 'nonce', 'keyid', 'alg'],
      paramValues: { created: new Date(CREATED_S * 1000), nonce: randomBytes(16).toString('base64url') },
    }, { method: 'POST', url: URL_TEXT, headers: { 'Content-Digest': contentDigest(BODY) } });
    const verdict = verifyRequestSignature(message(signed.headers), verifying, CREATED_S * 1000, q2SignaturePolicy());
    expect(verdict).toMatchObject({ ok: true });
  });

  it('is verified by the package when we sign', async () => {
    const signing = key.algorithm === 'hmac-sha256' ? signingKeyFrom(key.algorithm, key.secret) : signingKeyFrom(key.algorithm, key.privateKey);
    const headers = signRequest({ method: 'POST', url: new URL(URL_TEXT), body: BODY, keyId: 'key-1', key: signing, created: CREATED_S });
    const lookups: string[] = [];
    const verifyWith = (signatureInput: string) => httpbis.verifyMessage({
      keyLookup: async (params) => {
        lookups.push(String(params.keyid));
        return { id: 'key-1', algs: [key.algorithm], verify: createVerifier(key.algorithm === 'hmac-sha256' ? key.secret : key.publicKey, key.algorithm) };
      },
      requiredFields: ['@method', '@authority', '@path', '@query', 'content-digest'],
      requiredParams: ['created', 'nonce', 'keyid', 'alg'],
      notAfter: new Date((CREATED_S + 1) * 1000),
    }, { method: 'POST', url: URL_TEXT, headers: { ...headers, 'signature-input': signatureInput } });
    expect(await verifyWith(headers['signature-input'])).toBe(true);
    expect(lookups).toEqual(['key-1']);
    // The package is a real check, not a rubber stamp: a changed parameter fails there too.
    await expect(verifyWith(headers['signature-input'].replace(/created=\d+/, `created=${CREATED_S - 1}`))).resolves.toBe(false);
  });
});
