/**
 * API keys and signed requests (SPEC §4, docs/apikeys.md): `ed25519` or `hmac-sha256` keys with
 * scopes, address allowlists and expiry; RFC 9421 verification (src/modules/signing) with a
 * shared `(keyid, nonce)` replay store; revocation on every replica at once. Routes opt in to
 * API keys with `requireScope('trade')` (or `read`, `withdraw`); no other route accepts a key.
 */
export { createApiKeysCapability, type ApiKeysCapability, type ApiKeysOptions } from './capability.js';
export { requireScope } from './scope.js';
export { authorizeKey, type KeyDecision, type KeyPolicy, type RequestFacts } from './authorize.js';
export type { RefusalCode } from './authenticator.js';
export type { ApiKeyService } from './service.js';
export type { ActionContext, ApiKey, ApiKeyAlgorithm, ApiKeyScope, CreatedApiKey, NewApiKey } from './types.js';
