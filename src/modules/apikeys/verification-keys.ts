/**
 * The keys the signed-request authenticator verifies with, in a bounded per-replica cache
 * (LRU, `maxEntries`, each entry at most `ttlMs` old). HMAC secrets are decrypted from the key
 * ring only on a miss, and concurrent misses for one key share one database read and decryption.
 *
 * Revocation on every replica at once: the revoking replica writes a revocation marker to the
 * shared StateStore (checked on every signed request, in the same round trip as the nonce) and
 * publishes the key id so every replica drops its cached copy. The marker outlives any cached
 * copy (2 × ttlMs), after which the database, the source of truth, answers for the key.
 */
import type { Clock } from '../../lib/clock/index.js';
import type { FieldProtector } from '../../lib/protect/index.js';
import type { StateStore } from '../../lib/state/index.js';
import { verifyingKeyFrom, type VerifyingKey } from '../signing/index.js';
import type { ApiKeyRepository, StoredKey } from './repository.js';
import type { ApiKeyAlgorithm, ApiKeyScope } from './types.js';

export const REVOKED_CHANNEL = 'apikeys:revoked';
const markerKey = (keyId: string) => `apikeys:revoked:${keyId}`;

/** What a verification needs about a key: its owner, policy and verifying key. */
export interface ResolvedKey {
  keyId: string;
  userId: string;
  algorithm: ApiKeyAlgorithm;
  scopes: readonly ApiKeyScope[];
  ipAllowlist: readonly string[];
  expiresAt: number | null;
  verifying: VerifyingKey;
}

export interface VerificationKeys {
  /** The usable (unrevoked, owner active) key, or null. */
  resolve(keyId: string): Promise<ResolvedKey | null>;
  /** True when any replica revoked the key recently (shared marker). */
  isRevoked(keyId: string): Promise<boolean>;
  /** After the database row was revoked: marker, local drop, broadcast. */
  revoked(keyId: string): Promise<void>;
  cached(): number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface VerificationKeyOptions {
  repository: ApiKeyRepository;
  protector: FieldProtector;
  state: StateStore;
  clock: Clock;
  maxEntries: number;
  ttlMs: number;
}

/**
 * The FieldProtector context an HMAC secret is bound to: its row and the database column, as
 * `q2 keys rewrap` declarations expect (src/server/encrypted-tables.ts), under the platform key.
 */
export const secretContext = (keyId: string) => ({ table: 'api_keys', column: 'secret_ciphertext', rowId: keyId });

export function createVerificationKeys(options: VerificationKeyOptions): VerificationKeys {
  const { repository, protector, state, clock, maxEntries, ttlMs } = options;
  const cache = new Map<string, { key: ResolvedKey; until: number }>();
  const loading = new Map<string, Promise<ResolvedKey | null>>();
  let unsubscribe: (() => Promise<void>) | undefined;

  async function load(stored: StoredKey): Promise<ResolvedKey> {
    const verifying = stored.algorithm === 'ed25519'
      ? verifyingKeyFrom('ed25519', stored.publicKey ?? '')
      : verifyingKeyFrom('hmac-sha256', Buffer.from(await protector.decrypt(stored.secretCiphertext ?? '', secretContext(stored.keyId)), 'base64'));
    const { keyId, userId, algorithm, scopes, ipAllowlist, expiresAt } = stored;
    return { keyId, userId, algorithm, scopes, ipAllowlist, expiresAt, verifying };
  }

  async function fetch(keyId: string): Promise<ResolvedKey | null> {
    const stored = await repository.findUsable(keyId);
    if (!stored) return null;
    const key = await load(stored);
    // Least recently used first: Map keeps insertion order, hits are re-inserted.
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(keyId, { key, until: clock.now() + ttlMs });
    return key;
  }

  return {
    async resolve(keyId) {
      const hit = cache.get(keyId);
      if (hit && hit.until > clock.now()) {
        cache.delete(keyId);
        cache.set(keyId, hit);
        return hit.key;
      }
      cache.delete(keyId);
      const pending = loading.get(keyId);
      if (pending) return pending;
      const promise = fetch(keyId).finally(() => loading.delete(keyId));
      loading.set(keyId, promise);
      return promise;
    },
    async isRevoked(keyId) {
      return (await state.get(markerKey(keyId))) !== null;
    },
    async revoked(keyId) {
      await state.set(markerKey(keyId), '1', 2 * ttlMs);
      cache.delete(keyId);
      await state.publish(REVOKED_CHANNEL, keyId);
    },
    cached: () => cache.size,
    async start() {
      unsubscribe = await state.subscribe(REVOKED_CHANNEL, (keyId) => cache.delete(keyId));
    },
    async stop() {
      await unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}
