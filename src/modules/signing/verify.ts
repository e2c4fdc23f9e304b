/**
 * RFC 9421 §3.2 verification as pure functions returning verdicts, split where I/O belongs in
 * between: `inspectSignature` (parse, policy, `created` window, RFC 9530 Content-Digest against
 * the body, signature base: no key needed, so it runs before any key lookup) and
 * `verifySignature` (`alg` and the signature, with the key). Everything a caller without the key
 * can learn is decided before the key is looked up, so answers never reveal whether a key id
 * exists. Replay (nonce) state is the caller's: it is checked only after a signature verified,
 * so unauthenticated traffic cannot fill the nonce store.
 */
import { verifyBytes, type VerifyingKey } from './algorithms.js';
import { fieldValue } from './components.js';
import { checkContentDigest } from './content-digest.js';
import { buildSignatureBase, parseSignatureInput, parseSignatureValue } from './signature-base.js';
import { SIGNATURE_ALGORITHMS, type HttpRequestMessage, type InspectedSignature, type Inspection, type SignatureFailure, type SignatureParams, type SignatureVerdict } from './types.js';

export interface SignaturePolicy {
  /** `created` must lie within ± this many ms of the verifier's clock. */
  windowMs: number;
  requiredParams: readonly (keyof SignatureParams)[];
  /** Components that must be covered for this message. */
  requiredComponents(message: HttpRequestMessage): readonly string[];
  /** When set, a `nonce` must match it. */
  noncePattern?: RegExp;
}

/** SPEC §4: default clock window for `created`. */
export const DEFAULT_SIGNATURE_WINDOW_MS = 30_000;

/** ≥ 128 random bits: 22 base64url characters, 24 base64, 32 hex; at most 128 characters. */
export const NONCE_PATTERN = /^[A-Za-z0-9+/_=-]{22,128}$/;

/**
 * SPEC §4: method, authority and path always; `@query` when the target has a query; the
 * Content-Digest whenever there is a body; `created`, `nonce`, `keyid` and `alg` present.
 */
export function q2SignaturePolicy(windowMs = DEFAULT_SIGNATURE_WINDOW_MS): SignaturePolicy {
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) throw new TypeError('windowMs must be a positive integer');
  return {
    windowMs,
    requiredParams: ['created', 'nonce', 'keyid', 'alg'],
    requiredComponents: (message) => [
      '@method', '@authority', '@path',
      ...(message.query === null ? [] : ['@query']),
      ...(message.hasBody ? ['content-digest'] : []),
    ],
    noncePattern: NONCE_PATTERN,
  };
}

const EMPTY = new Uint8Array(0);

const fail = (code: SignatureFailure['code'], reason: string, keyId?: string): SignatureFailure =>
  (keyId === undefined ? { ok: false, code, reason } : { ok: false, code, reason, keyId });

/** Steps of §3.2 that need no key: parse, required parameters and components, time window, digest, base. */
export function inspectSignature(message: HttpRequestMessage, policy: SignaturePolicy, nowMs: number): Inspection {
  const inputHeader = fieldValue(message.fields, 'signature-input');
  const signatureHeader = fieldValue(message.fields, 'signature');
  if (inputHeader === undefined || signatureHeader === undefined) return fail('SIGNATURE_MISSING', 'Signature-Input and Signature headers are required');

  const input = parseSignatureInput(inputHeader);
  if (!input.ok) return fail('SIGNATURE_INVALID', input.reason);
  const { label, components, params, serializedParams } = input.value;
  const keyId = params.keyid?.slice(0, 100);
  for (const name of policy.requiredParams) {
    if (params[name] === undefined) return fail('SIGNATURE_INVALID', `signature parameter ${name} is required`, keyId);
  }
  if (params.alg !== undefined && !(SIGNATURE_ALGORITHMS as readonly string[]).includes(params.alg)) {
    return fail('SIGNATURE_INVALID', 'alg must be hmac-sha256 or ed25519', keyId);
  }
  if (params.nonce !== undefined && policy.noncePattern && !policy.noncePattern.test(params.nonce)) {
    return fail('SIGNATURE_INVALID', 'nonce must be 22-128 base64/hex characters (at least 128 random bits)', keyId);
  }
  if (params.created !== undefined && Math.abs(nowMs - params.created * 1000) > policy.windowMs) {
    return fail('SIGNATURE_EXPIRED', `created is more than ${policy.windowMs / 1000} s away from the server clock`, keyId);
  }
  if (params.expires !== undefined && nowMs > params.expires * 1000) return fail('SIGNATURE_EXPIRED', 'the signature has expired', keyId);
  for (const name of policy.requiredComponents(message)) {
    if (!components.includes(name)) return fail('SIGNATURE_INVALID', `"${name}" must be covered`, keyId);
  }

  const signature = parseSignatureValue(signatureHeader, label);
  if (!signature.ok) return fail('SIGNATURE_INVALID', signature.reason, keyId);
  if (components.includes('content-digest')) {
    const body = message.body ?? (message.hasBody ? null : EMPTY);
    if (body === null) return fail('SIGNATURE_INVALID', 'the body was not available to check Content-Digest', keyId);
    const digest = checkContentDigest(fieldValue(message.fields, 'content-digest'), body);
    if (!digest.ok) return fail('SIGNATURE_INVALID', digest.reason, keyId);
  }
  const base = buildSignatureBase(message, components, serializedParams);
  if (!base.ok) return fail('SIGNATURE_INVALID', base.reason, keyId);
  return { ok: true, signature: { label, components, params, signature: signature.value, base: base.value } };
}

/** The keyed steps: `alg` names the key's algorithm, and the signature verifies under the key. */
export function verifySignature(inspection: InspectedSignature, key: VerifyingKey): SignatureVerdict {
  const keyId = inspection.params.keyid?.slice(0, 100);
  // The same answer as a bad signature: telling "wrong alg" apart would say which keys exist.
  if (inspection.params.alg !== undefined && inspection.params.alg !== key.algorithm) {
    return { ...fail('SIGNATURE_INVALID', 'signature does not verify', keyId), cause: 'alg does not match the key' };
  }
  if (!verifyBytes(key, Buffer.from(inspection.base, 'latin1'), inspection.signature)) {
    return fail('SIGNATURE_INVALID', 'signature does not verify', keyId);
  }
  return { ok: true };
}

/** Both steps for a caller that already holds the key (tests, RFC vectors, single-key clients). */
export function verifyRequestSignature(message: HttpRequestMessage, key: VerifyingKey, nowMs: number, policy: SignaturePolicy): Inspection {
  const inspection = inspectSignature(message, policy, nowMs);
  if (!inspection.ok) return inspection;
  const verdict = verifySignature(inspection.signature, key);
  return verdict.ok ? inspection : verdict;
}
