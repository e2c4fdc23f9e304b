/**
 * Creating, listing and revoking API keys (SPEC §4). The HMAC secret is generated here, returned
 * once, and stored only encrypted under the key ring, bound to its row; it never reaches a log or
 * an event. Revocation takes effect on every replica before `revoke` resolves (see
 * verification-keys.ts). Each creation and revocation is a security event.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock/index.js';
import { AppError } from '../../lib/errors/index.js';
import type { SecurityEventBus } from '../../lib/events/index.js';
import type { FieldProtector } from '../../lib/protect/index.js';
import { generateHmacSecret } from './key-material.js';
import type { ApiKeyRepository, StoredKey } from './repository.js';
import type { ActionContext, ApiKey, CreatedApiKey, NewApiKey } from './types.js';
import { validateNewKey } from './validate.js';
import { secretContext, type VerificationKeys } from './verification-keys.js';

export interface ApiKeyService {
  create(userId: string, input: NewApiKey, context: ActionContext): Promise<CreatedApiKey>;
  list(userId: string): Promise<ApiKey[]>;
  /** False when the key does not exist or belongs to someone else (answered 404 alike). */
  revoke(userId: string, keyId: string, context: ActionContext, reason?: string): Promise<boolean>;
  /** Incident containment: revokes every key of a user; returns how many were revoked. */
  revokeAll(userId: string, context: ActionContext & { actor: string }, reason: string): Promise<number>;
}

export interface ApiKeyServiceDeps {
  repository: ApiKeyRepository;
  keys: VerificationKeys;
  protector: FieldProtector;
  events: SecurityEventBus;
  clock: Clock;
  /** Usable (unrevoked, unexpired) keys per user. */
  maxKeysPerUser: number;
}

const publicView = ({ keyId, userId, label, algorithm, scopes, ipAllowlist, createdAt, expiresAt }: StoredKey): ApiKey =>
  ({ keyId, userId, label, algorithm, scopes, ipAllowlist, createdAt, expiresAt });

export function createApiKeyService(deps: ApiKeyServiceDeps): ApiKeyService {
  const { repository, keys, protector, events, clock } = deps;

  /**
   * Marks the key revoked everywhere even when the row already was (a retried DELETE after a
   * shared-store failure repairs the marker); the event is raised once, by the revoking call.
   */
  async function revokeOne(userId: string, keyId: string, actor: string, context: ActionContext, reason: string): Promise<boolean> {
    const changed = await repository.revoke(keyId, userId, clock.now(), reason);
    await keys.revoked(keyId);
    if (changed) events.emit({ type: 'apikey.revoked', actor, target: keyId, outcome: 'success', ip: context.ip, requestId: context.requestId, details: { userId, reason } });
    return changed;
  }

  return {
    async create(userId, input, context) {
      const now = clock.now();
      const validation = validateNewKey(input, now);
      if (!validation.ok) {
        const first = validation.errors[0];
        throw new AppError('VALIDATION_FAILED', `${first?.path}: ${first?.message}`, { extensions: { errors: validation.errors } });
      }
      const valid = validation.key;
      // Not a lock: two concurrent creations may both pass; the cap bounds abuse, not an invariant.
      if ((await repository.countUsable(userId, now)) >= deps.maxKeysPerUser) {
        throw new AppError('APIKEY_LIMIT', `At most ${deps.maxKeysPerUser} usable API keys per account; revoke one first.`);
      }
      const keyId = randomUUID();
      const secret = valid.algorithm === 'hmac-sha256' ? generateHmacSecret().toString('base64') : undefined;
      const stored: StoredKey = {
        keyId, userId, label: valid.label, algorithm: valid.algorithm, scopes: valid.scopes, ipAllowlist: valid.ipAllowlist,
        createdAt: now, expiresAt: valid.expiresAt, publicKey: valid.publicKey,
        secretCiphertext: secret === undefined ? null : await protector.encrypt(secret, secretContext(keyId)),
      };
      await repository.insert(stored);
      events.emit({
        type: 'apikey.created', actor: userId, target: keyId, outcome: 'success', ip: context.ip, requestId: context.requestId,
        details: { algorithm: valid.algorithm, scopes: valid.scopes, ipAllowlist: valid.ipAllowlist, expiresAt: valid.expiresAt },
      });
      return secret === undefined ? publicView(stored) : { ...publicView(stored), secret };
    },
    async list(userId) {
      return (await repository.listUnrevoked(userId)).map(publicView);
    },
    async revoke(userId, keyId, context, reason = 'user') {
      if ((await repository.ownerOf(keyId)) !== userId) return false;
      // Already revoked (a retried DELETE) counts as done: the caller owns the key and it is dead.
      await revokeOne(userId, keyId, userId, context, reason);
      return true;
    },
    async revokeAll(userId, context, reason) {
      let count = 0;
      for (const keyId of await repository.unrevokedIds(userId)) {
        if (await revokeOne(userId, keyId, context.actor, context, reason)) count++;
      }
      return count;
    },
  };
}
