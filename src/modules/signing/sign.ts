/**
 * RFC 9421 §3.1 signing of a request the way SPEC §4 requires it to be signed: covered
 * `"@method" "@authority" "@path"`, plus `"@query"` when the URL has a query and
 * `"content-digest"` (RFC 9530) when there is a body; parameters `created`, `nonce`, `keyid`,
 * `alg`. Used by the client SDK; the server only verifies.
 */
import { randomBytes } from 'node:crypto';
import { signBytes, type SigningKey } from './algorithms.js';
import { normaliseAuthority } from './components.js';
import { contentDigest, type DigestAlgorithm } from './content-digest.js';
import { buildSignatureBase, serializeSignatureParams } from './signature-base.js';
import type { HttpRequestMessage } from './types.js';

export interface SignRequestInput {
  method: string;
  /** Absolute URL; its host is `@authority`, its pathname `@path`, its search `@query`. */
  url: URL;
  body?: Uint8Array | null;
  keyId: string;
  key: SigningKey;
  /** Unix seconds. */
  created: number;
  /** Default: 128 random bits, base64url. */
  nonce?: string;
  digest?: DigestAlgorithm;
  /** Default `sig1`. */
  label?: string;
}

export interface SignedHeaders {
  'signature-input': string;
  signature: string;
  /** Present when the request has a body. */
  'content-digest'?: string;
}

/** A fresh nonce: 16 random bytes (128 bits), base64url without padding. */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** The headers to add to the request so that a Q2 server accepts its signature. */
export function signRequest(input: SignRequestInput): SignedHeaders {
  const { url } = input;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('only http(s) URLs can be signed');
  const label = input.label ?? 'sig1';
  const body = input.body && input.body.length > 0 ? input.body : null;
  const digest = body ? contentDigest(body, input.digest) : undefined;
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const message: HttpRequestMessage = {
    method: input.method.toUpperCase(),
    scheme,
    authority: normaliseAuthority(url.host, scheme),
    path: url.pathname || '/',
    query: url.search === '' ? null : url.search.slice(1),
    fields: digest ? { 'content-digest': digest } : {},
    hasBody: body !== null,
    body,
  };
  const components = ['@method', '@authority', '@path', ...(message.query === null ? [] : ['@query']), ...(digest ? ['content-digest'] : [])];
  const params = serializeSignatureParams(components, {
    created: input.created, nonce: input.nonce ?? newNonce(), keyid: input.keyId, alg: input.key.algorithm,
  });
  const base = buildSignatureBase(message, components, params);
  if (!base.ok) throw new TypeError(`cannot sign this request: ${base.reason}`);
  const signature = signBytes(input.key, Buffer.from(base.value, 'latin1'));
  return {
    'signature-input': `${label}=${params}`,
    signature: `${label}=:${signature.toString('base64')}:`,
    ...(digest ? { 'content-digest': digest } : {}),
  };
}
