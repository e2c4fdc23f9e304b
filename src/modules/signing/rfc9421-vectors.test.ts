/**
 * RFC 9421 Appendix B.2.5 (hmac-sha256) and B.2.6 (ed25519), read in place from
 * ../shared/vectors: our signature base must equal the RFC's byte for byte, our verifier must
 * accept the RFC's signatures (and refuse them once anything covered changes), and our signer
 * must reproduce them (both algorithms are deterministic).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { signBytes, signingKeyFrom, verifyingKeyFrom, type VerifyingKey } from './algorithms.js';
import { checkContentDigest } from './content-digest.js';
import { normaliseAuthority, splitTarget } from './components.js';
import { buildSignatureBase, parseSignatureInput } from './signature-base.js';
import type { HttpRequestMessage, SignatureAlgorithm } from './types.js';
import { verifyRequestSignature, type SignaturePolicy } from './verify.js';

interface VectorFile {
  keys: Record<string, { alg: SignatureAlgorithm; secretBase64?: string; publicSpkiBase64?: string; privatePkcs8Base64?: string }>;
  request: { method: string; target: string; headers: Record<string, string>; body: string };
  cases: { name: string; signatureInput: string; signatureBase: string; signature: string }[];
}

const FILE = fileURLToPath(new URL('../../../../shared/vectors/http_message_signatures_rfc9421.json', import.meta.url));
const vectors = JSON.parse(readFileSync(FILE, 'utf8')) as VectorFile;

function messageOf(request: VectorFile['request'], signatureInput: string, signature: string): HttpRequestMessage {
  const fields: Record<string, string> = { 'signature-input': signatureInput, signature };
  for (const [name, value] of Object.entries(request.headers)) fields[name.toLowerCase()] = value;
  const body = Buffer.from(request.body, 'utf8');
  return {
    method: request.method, scheme: 'https', authority: normaliseAuthority(request.headers.Host ?? '', 'https'),
    ...splitTarget(request.target), fields, hasBody: body.length > 0, body,
  };
}

function verifyingKey(keyId: string): VerifyingKey {
  const key = vectors.keys[keyId];
  if (!key) throw new Error(`vector key ${keyId} missing`);
  return key.alg === 'hmac-sha256'
    ? verifyingKeyFrom(key.alg, Buffer.from(key.secretBase64 ?? '', 'base64'))
    : verifyingKeyFrom(key.alg, Buffer.from(key.publicSpkiBase64 ?? '', 'base64'));
}

/** The vectors carry neither nonce nor alg and cover other components than Q2 requires. */
const rfcPolicy: SignaturePolicy = { windowMs: 30_000, requiredParams: ['created', 'keyid'], requiredComponents: () => [] };

describe.each(vectors.cases)('RFC 9421 $name', (vector) => {
  const input = parseSignatureInput(vector.signatureInput);
  if (!input.ok) throw new Error(input.reason);
  const { components, params, serializedParams } = input.value;
  const keyId = params.keyid ?? '';
  const signatureHeader = vector.signature;
  const createdMs = (params.created ?? 0) * 1000;

  it('builds the signature base byte for byte', () => {
    const base = buildSignatureBase(messageOf(vectors.request, vector.signatureInput, signatureHeader), components, serializedParams);
    expect(base).toEqual({ ok: true, value: vector.signatureBase });
  });

  it('verifies the published signature', () => {
    const verdict = verifyRequestSignature(messageOf(vectors.request, vector.signatureInput, signatureHeader), verifyingKey(keyId), createdMs, rfcPolicy);
    expect(verdict.ok).toBe(true);
  });

  it('reproduces the published signature with the published key', () => {
    const key = vectors.keys[keyId]!;
    const signing = key.alg === 'hmac-sha256'
      ? signingKeyFrom(key.alg, Buffer.from(key.secretBase64 ?? '', 'base64'))
      : signingKeyFrom(key.alg, Buffer.from(key.privatePkcs8Base64 ?? '', 'base64'));
    const label = vector.signature.slice(0, vector.signature.indexOf('='));
    expect(`${label}=:${signBytes(signing, Buffer.from(vector.signatureBase, 'latin1')).toString('base64')}:`).toBe(vector.signature);
  });

  it.each(components)('refuses the signature once covered component %s changes', (component) => {
    const request = structuredClone(vectors.request);
    if (component === '@method') request.method = 'PUT';
    else if (component === '@path') request.target = request.target.replace('/foo', '/bar');
    else if (component === '@authority') request.headers.Host = 'example.org';
    else {
      const header = Object.keys(request.headers).find((h) => h.toLowerCase() === component)!;
      request.headers[header] = `${request.headers[header]}x`;
    }
    const verdict = verifyRequestSignature(messageOf(request, vector.signatureInput, signatureHeader), verifyingKey(keyId), createdMs, rfcPolicy);
    expect(verdict).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it('refuses the signature under another key of the same algorithm', () => {
    const algorithm = vectors.keys[keyId]!.alg;
    const other = algorithm === 'hmac-sha256'
      ? verifyingKeyFrom(algorithm, randomBytes(64))
      : verifyingKeyFrom(algorithm, generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }));
    const verdict = verifyRequestSignature(messageOf(vectors.request, vector.signatureInput, signatureHeader), other, createdMs, rfcPolicy);
    expect(verdict).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID', reason: 'signature does not verify' });
  });

  it('refuses a flipped signature bit, and the signature outside the created window', () => {
    const tampered = `${label(signatureHeader)}=:${flipFirstByte(signatureHeader)}:`;
    expect(verifyRequestSignature(messageOf(vectors.request, vector.signatureInput, tampered), verifyingKey(keyId), createdMs, rfcPolicy))
      .toMatchObject({ ok: false, code: 'SIGNATURE_INVALID', reason: 'signature does not verify' });
    const message = messageOf(vectors.request, vector.signatureInput, signatureHeader);
    expect(verifyRequestSignature(message, verifyingKey(keyId), createdMs + 30_000, rfcPolicy).ok).toBe(true);
    expect(verifyRequestSignature(message, verifyingKey(keyId), createdMs + 30_001, rfcPolicy)).toMatchObject({ ok: false, code: 'SIGNATURE_EXPIRED' });
    expect(verifyRequestSignature(message, verifyingKey(keyId), createdMs - 30_001, rfcPolicy)).toMatchObject({ ok: false, code: 'SIGNATURE_EXPIRED' });
  });
});

describe('RFC 9421 B.2 request content', () => {
  it('carries a Content-Digest (RFC 9530, sha-512) that matches its body', () => {
    const { headers, body } = vectors.request;
    expect(checkContentDigest(headers['Content-Digest'], Buffer.from(body, 'utf8'))).toEqual({ ok: true });
    expect(checkContentDigest(headers['Content-Digest'], Buffer.from(`${body} `, 'utf8'))).toMatchObject({ ok: false });
  });
});

function label(header: string): string {
  return header.slice(0, header.indexOf('='));
}

function flipFirstByte(header: string): string {
  const bytes = Buffer.from(header.slice(header.indexOf(':') + 1, -1), 'base64');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}
