/**
 * The framework-free view of an HTTP request that RFC 9421 HTTP Message Signatures are computed
 * over, and the verdicts the checks return. Nothing here knows Fastify or Node's http types, so
 * the same code serves the server's verifier, the client SDK's signer and the tests.
 */

/** Field values by lowercase field name, as Node exposes them (`headersDistinct` or `headers`). */
export type HttpFields = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface HttpRequestMessage {
  /** The method as sent (case-sensitive, e.g. `POST`). */
  method: string;
  scheme: 'http' | 'https';
  /** `host[:port]`, lowercase, default port omitted (RFC 9421 §2.2.3). */
  authority: string;
  /** The absolute path as sent, still percent-encoded; never empty (`/` at least). */
  path: string;
  /** The query without its `?`; null when the target has no `?` at all. */
  query: string | null;
  fields: HttpFields;
  /** True when the request carries content (Content-Length > 0 or Transfer-Encoding). */
  hasBody: boolean;
  /** The content bytes exactly as received, when they were kept; null otherwise. */
  body: Uint8Array | null;
}

export const SIGNATURE_ALGORITHMS = ['hmac-sha256', 'ed25519'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** The signature parameters RFC 9421 §2.3 defines that Q2 reads. */
export interface SignatureParams {
  created?: number;
  expires?: number;
  keyid?: string;
  nonce?: string;
  alg?: string;
  tag?: string;
}

/** The failure codes a signature check can return; each is a SPEC §4 error code. */
export type SignatureFailureCode = 'SIGNATURE_MISSING' | 'SIGNATURE_INVALID' | 'SIGNATURE_EXPIRED';

export interface SignatureFailure {
  ok: false;
  code: SignatureFailureCode;
  /** Safe to show the client: names the check, never key material. */
  reason: string;
  /** The claimed (unauthenticated) key id, when it could be read. */
  keyId?: string;
  /** Finer detail for operators (logs, security events) that the client is not told. */
  cause?: string;
}

/** One signature taken apart, with its signature base, ready for a key. */
export interface InspectedSignature {
  label: string;
  /** Covered component identifiers in signing order, e.g. `@method`, `content-digest`. */
  components: readonly string[];
  params: Readonly<SignatureParams>;
  signature: Uint8Array;
  /** RFC 9421 §2.5 signature base: the exact bytes that were signed. */
  base: string;
}

export type Inspection = { ok: true; signature: InspectedSignature } | SignatureFailure;
export type SignatureVerdict = { ok: true } | SignatureFailure;
