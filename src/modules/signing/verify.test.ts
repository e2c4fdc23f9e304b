/**
 * The SPEC §4 signing profile end to end at the function level: what `signRequest` produces,
 * `inspectSignature` + `verifySignature` accept, and every deviation is refused with its code.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signingKeyFrom, verifyingKeyFrom, type SigningKey, type VerifyingKey } from './algorithms.js';
import { contentDigest } from './content-digest.js';
import { normaliseAuthority, splitTarget } from './components.js';
import { newNonce, signRequest, type SignedHeaders } from './sign.js';
import type { HttpRequestMessage, SignatureAlgorithm } from './types.js';
import { inspectSignature, q2SignaturePolicy, verifyRequestSignature, verifySignature } from './verify.js';

const NOW = Date.UTC(2026, 5, 1, 12);
const policy = q2SignaturePolicy();

function keys(algorithm: SignatureAlgorithm): { signing: SigningKey; verifying: VerifyingKey } {
  if (algorithm === 'hmac-sha256') {
    const secret = randomBytes(32);
    return { signing: signingKeyFrom(algorithm, secret), verifying: verifyingKeyFrom(algorithm, secret) };
  }
  const pair = generateKeyPairSync('ed25519');
  return { signing: signingKeyFrom(algorithm, pair.privateKey), verifying: verifyingKeyFrom(algorithm, pair.publicKey.export({ format: 'pem', type: 'spki' })) };
}

interface Wire { method: string; target: string; host: string; body: Buffer | null; headers: Record<string, string> }

function toMessage(wire: Wire): HttpRequestMessage {
  return {
    method: wire.method, scheme: 'https', authority: normaliseAuthority(wire.host, 'https'), ...splitTarget(wire.target),
    fields: wire.headers, hasBody: wire.body !== null && wire.body.length > 0, body: wire.body,
  };
}

function signed(signing: SigningKey, url: string, method = 'POST', body: Buffer | null = Buffer.from('{"symbol":"BTC-USD"}'), extra: Partial<Parameters<typeof signRequest>[0]> = {}): Wire {
  const parsed = new URL(url);
  const headers: SignedHeaders = signRequest({ method, url: parsed, body, keyId: 'key-1', key: signing, created: Math.floor(NOW / 1000), ...extra });
  return { method, target: `${parsed.pathname}${parsed.search}`, host: parsed.host, body, headers: { ...headers } };
}

describe.each(['hmac-sha256', 'ed25519'] as const)('%s requests', (algorithm) => {
  const { signing, verifying } = keys(algorithm);
  const verify = (wire: Wire, now = NOW) => verifyRequestSignature(toMessage(wire), verifying, now, policy);

  it('accepts what signRequest produced, with the SPEC §4 components and parameters', () => {
    const wire = signed(signing, 'https://api.q2.test:8443/v1/orders?dryRun=1');
    const verdict = verify(wire);
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.signature.components).toEqual(['@method', '@authority', '@path', '@query', 'content-digest']);
    expect(verdict.signature.params).toMatchObject({ keyid: 'key-1', alg: algorithm, created: NOW / 1000 });
    expect(wire.headers['signature-input']).toMatch(/^sig1=\("@method" "@authority" "@path" "@query" "content-digest"\);created=\d+;nonce="[A-Za-z0-9_-]{22}";keyid="key-1";alg="/);
  });

  it('covers neither @query nor content-digest when there is no query and no body', () => {
    const wire = signed(signing, 'https://api.q2.test/v1/balances', 'GET', null);
    expect(wire.headers['signature-input']).toMatch(/^sig1=\("@method" "@authority" "@path"\);/);
    expect(wire.headers['content-digest']).toBeUndefined();
    expect(verify(wire).ok).toBe(true);
  });

  it.each([
    ['method', (w: Wire) => { w.method = 'PUT'; }],
    ['path', (w: Wire) => { w.target = w.target.replace('/v1/orders', '/v1/orderz'); }],
    ['query', (w: Wire) => { w.target = w.target.replace('dryRun=1', 'dryRun=0'); }],
    ['authority', (w: Wire) => { w.host = 'evil.q2.test:8443'; }],
    ['body (digest left as signed)', (w: Wire) => { w.body = Buffer.from('{"symbol":"ETH-USD"}'); }],
    ['body and a matching new digest', (w: Wire) => { w.body = Buffer.from('{"symbol":"ETH-USD"}'); w.headers['content-digest'] = contentDigest(w.body); }],
    ['created parameter', (w: Wire) => { w.headers['signature-input'] = w.headers['signature-input']!.replace(/created=(\d+)/, (_m, c: string) => `created=${Number(c) - 1}`); }],
    ['nonce parameter', (w: Wire) => { w.headers['signature-input'] = w.headers['signature-input']!.replace(/nonce="[^"]+"/, `nonce="${newNonce()}"`); }],
  ])('refuses an altered %s', (_name, alter) => {
    const wire = signed(signing, 'https://api.q2.test:8443/v1/orders?dryRun=1');
    alter(wire);
    expect(verify(wire)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it('refuses a query added to, or removed from, a signed target', () => {
    const plain = signed(signing, 'https://api.q2.test/v1/orders', 'GET', null);
    plain.target += '?status=open';
    expect(verify(plain)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID', reason: '"@query" must be covered' });
    const withQuery = signed(signing, 'https://api.q2.test/v1/orders?status=open', 'GET', null);
    withQuery.target = '/v1/orders';
    expect(verify(withQuery)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it('refuses a body added to a request signed without one', () => {
    const wire = signed(signing, 'https://api.q2.test/v1/orders', 'POST', null);
    wire.body = Buffer.from('{}');
    expect(verify(wire)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID', reason: '"content-digest" must be covered' });
  });

  it('accepts created within ±30 s and refuses it beyond, either way', () => {
    const wire = signed(signing, 'https://api.q2.test/v1/orders');
    expect(verify(wire, NOW + 30_000).ok).toBe(true);
    expect(verify(wire, NOW - 30_000).ok).toBe(true);
    expect(verify(wire, NOW + 30_001)).toMatchObject({ ok: false, code: 'SIGNATURE_EXPIRED' });
    expect(verify(wire, NOW - 30_001)).toMatchObject({ ok: false, code: 'SIGNATURE_EXPIRED' });
  });

  it('accepts the genuine signature and refuses a tampered one, another base, another key and another algorithm', () => {
    const inspect = (wire: Wire) => {
      const inspection = inspectSignature(toMessage(wire), policy, NOW);
      if (!inspection.ok) throw new Error(inspection.reason);
      return inspection.signature;
    };
    const genuine = inspect(signed(signing, 'https://api.q2.test/v1/orders'));
    const flipped = { ...genuine, signature: Buffer.from(genuine.signature).fill(genuine.signature[0]! ^ 1, 0, 1) };
    const otherBase = { ...genuine, base: genuine.base.replace('/v1/orders', '/v1/withdrawals') };
    const foreign = keys(algorithm).verifying;
    const otherAlg = keys(algorithm === 'ed25519' ? 'hmac-sha256' : 'ed25519').verifying;
    const cases: [typeof genuine, VerifyingKey, boolean][] = [[genuine, verifying, true], [flipped, verifying, false], [otherBase, verifying, false], [genuine, foreign, false], [genuine, otherAlg, false]];
    for (const [inspection, key, valid] of cases) expect(verifySignature(inspection, key).ok).toBe(valid);
  });

  it('refuses any single-bit change of the body (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (bytes, at, bit) => {
      const wire = signed(signing, 'https://api.q2.test/v1/orders', 'POST', Buffer.from(bytes));
      const body = Buffer.from(bytes);
      body[at % body.length] = (body[at % body.length] as number) ^ (1 << bit);
      wire.body = body;
      const verdict = verify(wire);
      return !verdict.ok && verdict.code === 'SIGNATURE_INVALID';
    }), { numRuns: 200 });
  });
});

describe('signature headers', () => {
  const { signing, verifying } = keys('ed25519');
  const inspect = (headers: Record<string, string>, message: Partial<HttpRequestMessage> = {}) =>
    inspectSignature({ ...toMessage(signed(signing, 'https://api.q2.test/v1/orders')), fields: headers, ...message }, policy, NOW);
  const input = (wire: Wire) => wire.headers['signature-input']!;

  it('reports SIGNATURE_MISSING when either header is absent', () => {
    const wire = signed(signing, 'https://api.q2.test/v1/orders');
    expect(inspect({ signature: wire.headers.signature! })).toMatchObject({ code: 'SIGNATURE_MISSING' });
    expect(inspect({ 'signature-input': input(wire) })).toMatchObject({ code: 'SIGNATURE_MISSING' });
  });

  it.each([
    ['two signatures', (i: string) => `${i}, sig2=("@method");created=1`, 'Signature-Input must hold exactly one signature'],
    ['a component parameter', (i: string) => i.replace('"@path"', '"@path";req'), 'component parameters are not supported (@path)'],
    ['a duplicated component', (i: string) => i.replace('"@path"', '"@path" "@path"'), 'component @path is covered twice'],
    ['@signature-params covered', (i: string) => i.replace('"@path"', '"@path" "@signature-params"'), '@signature-params cannot be covered'],
    ['no nonce', (i: string) => i.replace(/;nonce="[^"]+"/, ''), 'signature parameter nonce is required'],
    ['no alg', (i: string) => i.replace(/;alg="[^"]+"/, ''), 'signature parameter alg is required'],
    ['a short nonce', (i: string) => i.replace(/nonce="[^"]+"/, 'nonce="abc"'), 'nonce must be 22-128 base64/hex characters (at least 128 random bits)'],
    ['an unknown alg', (i: string) => i.replace(/alg="[^"]+"/, 'alg="rsa-pss-sha512"'), 'alg must be hmac-sha256 or ed25519'],
    ['created as a string', (i: string) => i.replace(/created=(\d+)/, 'created="$1"'), 'parameter created must be a non-negative integer'],
    ['not a dictionary', () => 'sig1=("@method"', 'Signature-Input is not a structured dictionary'],
  ])('refuses %s', (_name, change, reason) => {
    const wire = signed(signing, 'https://api.q2.test/v1/orders');
    expect(inspect({ ...wire.headers, 'signature-input': change(input(wire)) })).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID', reason });
  });

  it('refuses an expired `expires`, a signature under another label, and an alg that is not the key\'s', () => {
    const wire = signed(signing, 'https://api.q2.test/v1/orders');
    const expired = input(wire).replace(';alg=', `;expires=${NOW / 1000 - 1};alg=`);
    expect(inspect({ ...wire.headers, 'signature-input': expired })).toMatchObject({ code: 'SIGNATURE_EXPIRED', reason: 'the signature has expired' });
    expect(inspect({ ...wire.headers, signature: wire.headers.signature!.replace('sig1=', 'sig2=') })).toMatchObject({ code: 'SIGNATURE_INVALID', reason: 'Signature has no member sig1' });
    const hmac = keys('hmac-sha256');
    expect(verifyRequestSignature(toMessage(wire), hmac.verifying, NOW, policy)).toMatchObject({ code: 'SIGNATURE_INVALID', reason: 'signature does not verify', cause: 'alg does not match the key' });
    expect(verifyRequestSignature(toMessage(wire), verifying, NOW, policy).ok).toBe(true);
  });

  it('refuses a body whose bytes were not kept for the digest check', () => {
    const wire = signed(signing, 'https://api.q2.test/v1/orders');
    expect(verifyRequestSignature({ ...toMessage(wire), body: null }, verifying, NOW, policy))
      .toMatchObject({ code: 'SIGNATURE_INVALID', reason: 'the body was not available to check Content-Digest' });
  });

  it('refuses a covered header that carries non-ASCII text', () => {
    const parsed = new URL('https://api.q2.test/v1/orders');
    const wire = signed(signing, parsed.href);
    const withField = wire.headers['signature-input']!.replace('"content-digest"', '"content-digest" "x-note"');
    expect(inspect({ ...wire.headers, 'signature-input': withField, 'x-note': 'caf\u00e9' })).toMatchObject({ code: 'SIGNATURE_INVALID', reason: 'component x-note is not ASCII' });
    expect(inspect({ ...wire.headers, 'signature-input': withField })).toMatchObject({ code: 'SIGNATURE_INVALID', reason: 'covered component x-note is absent or unsupported' });
  });
});
