import { describe, expect, it } from 'vitest';

import { createManualClock } from '../../../lib/clock/index.js';
import { createSymmetricEncryption } from '../envelope/symmetric-encryption.js';
import type { KekProvider } from '../kek/types.js';
import { localKek, testKeyRing } from '../testing/fixtures.js';
import { createKeyManager } from './key-manager.js';
import { createMemoryKeyRingStore } from './memory-store.js';

const ctx = { table: 't', column: 'c', row: '1' };

function countingKek(inner: KekProvider = localKek()) {
  const counts = { wrap: 0, unwrap: 0 };
  const kek: KekProvider = {
    ...inner,
    wrap: (dek) => ((counts.wrap += 1), inner.wrap(dek)),
    unwrap: (w) => ((counts.unwrap += 1), inner.unwrap(w)),
  };
  return { kek, counts };
}

describe('key manager: usage limits and rotation policy', () => {
  it('rotates automatically once a version reaches rotateAfterEncryptions', async () => {
    const { symmetric, keyManager } = testKeyRing({ reservationSize: 10, policy: { rotateAfterEncryptions: 25, maxEncryptions: 40 } });
    const texts = [];
    for (let i = 0; i < 60; i += 1) texts.push(await symmetric.encrypt(`m${i}`, { context: ctx }));
    const versions = new Set(texts.map((t) => symmetric.header(t).version));
    expect(versions.size).toBeGreaterThan(1);
    const [status] = await keyManager.status();
    for (const v of status!.versions) expect(v.usageCount).toBeLessThanOrEqual(40);
    for (const [i, t] of texts.entries()) expect(await symmetric.decryptString(t, { context: ctx })).toBe(`m${i}`);
  });

  it('refuses to encrypt past the hard limit with CRYPTO_ROTATION_REQUIRED when auto-rotation is off', async () => {
    const { symmetric, keyManager } = testKeyRing({ autoRotate: false, reservationSize: 7, policy: { rotateAfterEncryptions: 10, maxEncryptions: 20 } });
    let done = 0;
    await expect(
      (async () => {
        for (;;) {
          await symmetric.encrypt('x', { context: ctx });
          done += 1;
        }
      })(),
    ).rejects.toMatchObject({ code: 'CRYPTO_ROTATION_REQUIRED' });
    expect(done).toBe(20);
    expect((await keyManager.status())[0]!.versions[0]!.rotationDue).toBe('usage');
    await keyManager.rotate('pii');
    await expect(symmetric.encrypt('x', { context: ctx })).resolves.toMatch(/^q2:v2:/);
  });

  it('never exceeds the hard limit across replicas sharing the store', async () => {
    const store = createMemoryKeyRingStore();
    const kek = localKek();
    const clock = createManualClock();
    const options = { store, kek, clock, autoRotate: false, reservationSize: 30, policy: { rotateAfterEncryptions: 100, maxEncryptions: 100 } };
    const replicas = [createKeyManager(options), createKeyManager(options), createKeyManager(options)].map((km) =>
      createSymmetricEncryption({ keyManager: km, defaultKeyId: 'pii' }),
    );
    let encryptions = 0;
    let refused = 0;
    for (let round = 0; round < 60; round += 1) {
      for (const replica of replicas) {
        try {
          await replica.encrypt('x', { context: ctx });
          encryptions += 1;
        } catch (error) {
          expect(error).toMatchObject({ code: 'CRYPTO_ROTATION_REQUIRED' });
          refused += 1;
        }
      }
    }
    expect(encryptions).toBeLessThanOrEqual(100);
    expect(refused).toBeGreaterThan(0);
  });

  it('rotates by age on the hot path, and reports due keys when auto-rotation is off', async () => {
    const auto = testKeyRing({ policy: { maxAgeMs: 1000 } });
    await auto.symmetric.encrypt('x', { context: ctx });
    auto.clock.advance(61_000);
    expect(auto.symmetric.header(await auto.symmetric.encrypt('x', { context: ctx })).version).toBe(2);

    const manual = testKeyRing({ autoRotate: false, policy: { maxAgeMs: 1000 } });
    await manual.symmetric.encrypt('x', { context: ctx });
    manual.clock.advance(1000);
    expect(await manual.keyManager.rotateDue()).toEqual([{ keyId: 'pii', version: 2, reason: 'age' }]);
    expect(await manual.keyManager.rotateDue()).toEqual([]);
  });

  it('a replica moves to a rotated primary once its reservation expires', async () => {
    const store = createMemoryKeyRingStore();
    const kek = localKek();
    const clock = createManualClock();
    const a = createSymmetricEncryption({ keyManager: createKeyManager({ store, kek, clock }), defaultKeyId: 'pii' });
    const bManager = createKeyManager({ store, kek, clock });
    await a.encrypt('x', { context: ctx });
    await bManager.rotate('pii');
    expect(a.header(await a.encrypt('x', { context: ctx })).version).toBe(1);
    clock.advance(60_000);
    expect(a.header(await a.encrypt('x', { context: ctx })).version).toBe(2);
  });
});

describe('key manager: DEK cache', () => {
  it('unwraps once per TTL and again after it', async () => {
    const { kek, counts } = countingKek();
    const { symmetric, clock } = testKeyRing({ kek, cacheTtlMs: 10_000 });
    const t = await symmetric.encrypt('x', { context: ctx });
    expect(counts.unwrap).toBe(0); // the creator caches the DEK it generated
    clock.advance(10_000);
    await symmetric.decrypt(t, { context: ctx });
    expect(counts.unwrap).toBe(1);
    await symmetric.decrypt(t, { context: ctx });
    expect(counts.unwrap).toBe(1);
  });
});

describe('key manager: subkeys, retirement, destruction', () => {
  it('derives distinct, stable HKDF subkeys per purpose and version', async () => {
    const { keyManager } = testKeyRing();
    const a = await keyManager.deriveKey('pii', 'blind-index/users.email');
    const b = await keyManager.deriveKey('pii', 'blind-index/users.phone');
    const again = await keyManager.deriveKey('pii', 'blind-index/users.email', 1);
    expect(a.key.export().equals(again.key.export())).toBe(true);
    expect(a.key.export().equals(b.key.export())).toBe(false);
    await keyManager.rotate('pii');
    const v2 = await keyManager.deriveKey('pii', 'blind-index/users.email');
    expect(v2.version).toBe(2);
    expect(v2.key.export().equals(a.key.export())).toBe(false);
  });

  it('retires through the minimum decryption version, only after the grace period', async () => {
    const { symmetric, keyManager, clock } = testKeyRing();
    const old = await symmetric.encrypt('x', { context: ctx });
    await keyManager.rotate('pii');
    await expect(keyManager.retire('pii', 3)).rejects.toMatchObject({ code: 'CRYPTO_RETIRE_UNSAFE' });
    await expect(keyManager.retire('pii', 2)).rejects.toMatchObject({ code: 'CRYPTO_RETIRE_UNSAFE' });
    clock.advance(120_000);
    await keyManager.retire('pii', 2);
    await expect(symmetric.decrypt(old, { context: ctx })).rejects.toMatchObject({ code: 'CRYPTO_KEY_RETIRED' });
    expect((await keyManager.status())[0]!.versions.map((v) => v.state)).toEqual(['retired', 'active']);
    await keyManager.retire('pii', 1);
    expect(await symmetric.decryptString(old, { context: ctx })).toBe('x');
  });

  it('crypto-shreds a key: its data and new writes fail with CRYPTO_KEY_DESTROYED', async () => {
    const { symmetric, keyManager } = testKeyRing();
    const t = await symmetric.encrypt('x', { context: ctx, keyId: 'user.7' });
    expect(await keyManager.destroyKey('user.7')).toBe(true);
    await expect(symmetric.decrypt(t, { context: ctx })).rejects.toMatchObject({ code: 'CRYPTO_KEY_DESTROYED' });
    await expect(symmetric.encrypt('x', { context: ctx, keyId: 'user.7' })).rejects.toMatchObject({ code: 'CRYPTO_KEY_DESTROYED' });
    expect(await keyManager.destroyKey('user.7')).toBe(false);
  });

  it('refuses invalid key ids', async () => {
    const { symmetric } = testKeyRing();
    await expect(symmetric.encrypt('x', { context: ctx, keyId: 'Bad Id' })).rejects.toThrow(TypeError);
  });
});
