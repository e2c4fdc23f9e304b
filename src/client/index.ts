/**
 * The Q2 client SDK (`q2/client`): a typed client for the Q2 API that signs requests with an
 * API key (RFC 9421 HTTP Message Signatures + RFC 9530 Content-Digest, `ed25519` or
 * `hmac-sha256`) or sends a bearer token, and retries only what is safe to repeat. It imports
 * no server code: only node built-ins and the pure signing functions of src/modules/signing.
 */
export { createQ2Client, type Q2Client, type Q2ClientOptions, type RequestOptions } from './client.js';
export { authorizerFor, type Authorizer, type Credentials } from './credentials.js';
export { Q2ApiError, problemOf, type Problem } from './errors.js';
export { DEFAULT_RETRY, parseRetryAfter, retryDelay, type AttemptOutcome, type RetryPolicy } from './retry.js';
export { TransportError, nodeTransport, type NodeTransportOptions, type Transport, type TransportRequest, type TransportResponse } from './transport.js';
export type {
  ApiKeyInfo, ApiKeyScope, Balance, CreatedApiKeyInfo, Decimal, Fill, Instrument, NewApiKey, NewOrder, Order, OrderQuery, Position,
} from './types.js';
export { contentDigest, newNonce, signRequest, type SignRequestInput, type SignedHeaders } from '../modules/signing/index.js';
