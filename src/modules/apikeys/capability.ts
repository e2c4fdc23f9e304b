/**
 * `createApiKeysCapability(core)`: API keys and RFC 9421 signed requests (SPEC §4,
 * docs/apikeys.md). Provides the signed-request authenticator (chained after the bearer one),
 * the `/v1/me/api-keys` routes, the hook that lets routes opt in to API keys with
 * `requireScope`, and a `q2_signature_failures_total` metric by code.
 */
import { Counter } from 'prom-client';
import type { Capability, PlatformCore } from '../../server/capability.js';
import { DEFAULT_SIGNATURE_WINDOW_MS, q2SignaturePolicy } from '../signing/index.js';
import { createSignedRequestAuthenticator } from './authenticator.js';
import { createMemoryNonceStore } from './memory-nonces.js';
import { createNonceStore, nonceRetentionMs } from './nonces.js';
import { createApiKeyRepository } from './repository.js';
import { apiKeyRoutes } from './routes.js';
import { markApiKeyRoutes } from './scope.js';
import { createApiKeyService, type ApiKeyService } from './service.js';
import { createVerificationKeys } from './verification-keys.js';

export interface ApiKeysOptions {
  /** SPEC §4 `created` window (± ms); default 30 s. */
  signatureWindowMs?: number;
  /** Verification keys cached per replica; default 10,000. */
  maxCachedKeys?: number;
  /** How long a cached key is trusted without the database; default 60 s (bounds how late an account lock reaches keys). */
  keyCacheTtlMs?: number;
  /** Usable keys per account; default 20. */
  maxKeysPerUser?: number;
  /**
   * Without Redis: `(keyid, nonce)` pairs held in memory, default 2,000,000 (≈ 200 MB at the
   * bound; room for 22,000 signed requests/s with the default 30 s window). Redis holds them otherwise.
   */
  maxNoncesInMemory?: number;
}

export interface ApiKeysCapability extends Capability {
  service: ApiKeyService;
}

export async function createApiKeysCapability(core: PlatformCore, options: ApiKeysOptions = {}): Promise<ApiKeysCapability> {
  const { db, state, clock, events, crypto, metrics } = core;
  const windowMs = options.signatureWindowMs ?? DEFAULT_SIGNATURE_WINDOW_MS;
  const repository = createApiKeyRepository(db.kysely);
  const keys = createVerificationKeys({
    repository, protector: crypto.protector, state, clock,
    maxEntries: options.maxCachedKeys ?? 10_000, ttlMs: options.keyCacheTtlMs ?? 60_000,
  });
  const service = createApiKeyService({ repository, keys, protector: crypto.protector, events, clock, maxKeysPerUser: options.maxKeysPerUser ?? 20 });
  const failures = new Counter({
    name: 'q2_signature_failures_total',
    help: 'Signed (API-key) requests refused, by error code',
    labelNames: ['code'] as const,
    registers: [metrics],
  });
  const authenticate = createSignedRequestAuthenticator({
    keys, events, clock, policy: q2SignaturePolicy(windowMs), nonces: state.kind === 'memory'
      ? createMemoryNonceStore({ clock, retainMs: nonceRetentionMs(windowMs), maxPairs: options.maxNoncesInMemory ?? 2_000_000 })
      : createNonceStore(state, windowMs),
    onRefused: (code) => failures.inc({ code }),
  });
  await keys.start();
  return {
    name: 'apikeys',
    service,
    authenticate,
    // Registered before any route, so every route's `requireScope` guards are seen.
    onRequest: markApiKeyRoutes,
    routes: [apiKeyRoutes({ service, now: () => clock.now() })],
    close: () => keys.stop(),
  };
}
