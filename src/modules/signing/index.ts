/**
 * RFC 9421 HTTP Message Signatures with RFC 9530 Content-Digest (SPEC §4), as pure functions
 * over a framework-free request view: signing for clients, inspection and verification for the
 * server. No I/O, no Fastify, no storage: the API-key module supplies keys and replay state.
 */
export {
  MIN_HMAC_SECRET_BYTES, signBytes, signingKeyFrom, verifyBytes, verifyingKeyFrom,
  type SigningKey, type VerifyingKey,
} from './algorithms.js';
export { componentValue, fieldValue, normaliseAuthority, splitTarget } from './components.js';
export { isUsableEd25519PublicKey, rawEd25519PublicKey } from './ed25519-verify.js';
export { DIGEST_ALGORITHMS, checkContentDigest, contentDigest, type DigestAlgorithm, type DigestVerdict } from './content-digest.js';
export { buildSignatureBase, parseSignatureInput, parseSignatureValue, serializeSignatureParams, type ParsedSignatureInput } from './signature-base.js';
export { newNonce, signRequest, type SignRequestInput, type SignedHeaders } from './sign.js';
export {
  DEFAULT_SIGNATURE_WINDOW_MS, NONCE_PATTERN, inspectSignature, q2SignaturePolicy, verifyRequestSignature, verifySignature,
  type SignaturePolicy,
} from './verify.js';
export {
  SIGNATURE_ALGORITHMS,
  type HttpFields, type HttpRequestMessage, type InspectedSignature, type Inspection, type SignatureAlgorithm,
  type SignatureFailure, type SignatureFailureCode, type SignatureParams, type SignatureVerdict,
} from './types.js';
