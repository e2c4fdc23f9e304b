/**
 * The verification-key cache and the replay store, on the in-process store and on Redis with two
 * "replicas" (separate connections): bounded LRU with TTL, one database read and decryption per
 * concurrent miss, revocation reaching the other replica (marker and cache drop), and the nonce
 * claim's one-winner contract.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../../lib/clock/index.js';
import { createDatabase, toDbTime, type Database } from '../../lib/db/index.js';
import { createMemoryStateStore, createRedisStateStore, type StateStore } from '../../lib/state/index.js';
import { createThrowawaySqlite, stateBackends, uniqueKeyPrefix, type ThrowawayDatabase } from '../../../test/support/backends.js';
import { createTestProtector, type TestProtector } from '../../../test/support/protector.js';
import { createNonceStore } from './nonces.js';
import { createApiKeyRepository, type ApiKeyRepository, type StoredKey } from './repository.js';
import { createVerificationKeys, secretContext, type VerificationKeys } from './verification-keys.js';

const clock = createManualClock(Date.UTC(2026, 0, 1));
let file: ThrowawayDatabase;
let db: Database;
let protector: TestProtector;
let repository: ApiKeyRepository;
const reads: string[] = [];

async function insertUser(status = 'active'): Promise<string> {
  const id = randomUUID();
  const now = toDbTime(clock.now());
  await db.kysely.insertInto('users').values({
    id, email_ciphertext: 'x', email_index: id, phone_ciphertext: null, password_hash: 'x', roles: '["trader"]', status, created_at: now, password_changed_at: now,
  }).execute();
  return id;
}

async function insertKey(userId: string, algorithm: 'hmac-sha256' | 'ed25519' = 'hmac-sha256'): Promise<string> {
  const keyId = randomUUID();
  const key: StoredKey = {
    keyId, userId, label: 't', algorithm, scopes: ['trade'], ipAllowlist: [], createdAt: clock.now(), expiresAt: null,
    publicKey: algorithm === 'ed25519' ? generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString() : null,
    secretCiphertext: algorithm === 'hmac-sha256' ? await protector.encrypt(randomBytes(32).toString('base64'), secretContext(keyId)) : null,
  };
  await repository.insert(key);
  return keyId;
}

beforeAll(async () => {
  file = await createThrowawaySqlite();
  db = await createDatabase(file.url);
  await db.migrate();
  protector = createTestProtector(db);
  const real = createApiKeyRepository(db.kysely);
  repository = { ...real, findUsable: (keyId) => { reads.push(keyId); return real.findUsable(keyId); } };
});
afterAll(async () => {
  await protector.close();
  await db.close();
  await file.drop();
});

describe.each(await stateBackends())('verification keys on $name', ({ redisUrl }) => {
  const stores: StateStore[] = [];
  const prefix = uniqueKeyPrefix('q2apikeys');
  const store = () => {
    const s = redisUrl ? createRedisStateStore({ url: redisUrl, keyPrefix: prefix }) : createMemoryStateStore({ clock });
    stores.push(s);
    return s;
  };
  let shared: StateStore;
  let keys: VerificationKeys;
  let replica: VerificationKeys;

  beforeAll(async () => {
    shared = store();
    keys = createVerificationKeys({ repository, protector, state: shared, clock, maxEntries: 3, ttlMs: 60_000 });
    // On Redis the replica has its own connections, as another process would; in memory there is one store.
    replica = createVerificationKeys({ repository, protector, state: redisUrl ? store() : shared, clock, maxEntries: 3, ttlMs: 60_000 });
    await keys.start();
    await replica.start();
  });
  afterAll(async () => {
    await keys.stop();
    await replica.stop();
    for (const s of stores) await s.close();
  });

  it('resolves hmac-sha256 (decrypted) and ed25519 keys; unknown, revoked and locked-owner keys are null', async () => {
    const user = await insertUser();
    const hmac = await keys.resolve(await insertKey(user));
    expect(hmac?.verifying.algorithm).toBe('hmac-sha256');
    expect((await keys.resolve(await insertKey(user, 'ed25519')))?.verifying.algorithm).toBe('ed25519');
    expect(await keys.resolve(randomUUID())).toBeNull();
    const revoked = await insertKey(user);
    await repository.revoke(revoked, user, clock.now(), 'test');
    expect(await keys.resolve(revoked)).toBeNull();
    expect(await keys.resolve(await insertKey(await insertUser('locked')))).toBeNull();
  });

  it('binds each HMAC ciphertext to its row: copied onto another key it does not decrypt', async () => {
    const user = await insertUser();
    const [source, target] = [await insertKey(user), await insertKey(user)];
    const row = await db.kysely.selectFrom('api_keys').select('secret_ciphertext').where('key_id', '=', source).executeTakeFirstOrThrow();
    await db.kysely.updateTable('api_keys').set({ secret_ciphertext: row.secret_ciphertext }).where('key_id', '=', target).execute();
    await expect(keys.resolve(target)).rejects.toMatchObject({ code: 'CRYPTO_DECRYPT_FAILED' });
    expect((await keys.resolve(source))?.verifying.algorithm).toBe('hmac-sha256');
  });

  it('reads and decrypts a key once for concurrent misses, keeps at most maxEntries, and reloads after the TTL', async () => {
    const user = await insertUser();
    const id = await insertKey(user);
    reads.length = 0;
    await Promise.all(Array.from({ length: 10 }, () => keys.resolve(id)));
    expect(reads).toEqual([id]);
    for (let i = 0; i < 5; i++) await keys.resolve(await insertKey(user));
    expect(keys.cached()).toBe(3);
    const warm = await insertKey(user);
    await keys.resolve(warm);
    reads.length = 0;
    await keys.resolve(warm);
    expect(reads).toEqual([]);
    clock.advance(60_001);
    await keys.resolve(warm);
    expect(reads).toEqual([warm]);
  });

  it('makes a revocation visible to the other replica: shared marker at once, cached copy dropped', async () => {
    const user = await insertUser();
    const id = await insertKey(user);
    expect(await replica.resolve(id)).not.toBeNull();
    const before = replica.cached();
    await repository.revoke(id, user, clock.now(), 'test');
    await keys.revoked(id);
    expect(await replica.isRevoked(id)).toBe(true);
    await vi.waitFor(() => expect(replica.cached()).toBe(before - 1));
    expect(await replica.resolve(id)).toBeNull();
  });

  it('lets exactly one of concurrent claims of a (key, nonce) pair win, across replicas', async () => {
    const nonces = [createNonceStore(shared, 30_000), createNonceStore(redisUrl ? store() : shared, 30_000)];
    const keyId = randomUUID();
    const nonce = randomBytes(16).toString('base64url');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => nonces[i % 2]!.claim(keyId, nonce)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await nonces[0]!.claim(randomUUID(), nonce)).toBe(true);
  });
});
