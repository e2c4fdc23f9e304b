/**
 * JWT signing key ring: Ed25519 keys with overlapping lifetimes (sign for `rotateAfterMs`, stay
 * published for verification `overlapMs` longer than any token they signed can live). Private
 * keys are stored encrypted under the key ring (FieldProtector), never in clear.
 *
 * Replicas: the newest key in the database is the signing key; a replica that meets an unknown
 * `kid` reloads from the database at most once per `reloadIntervalMs` before rejecting.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Clock } from '../../../lib/clock/index.js';
import { fromDbTime, toDbTime, type Tables } from '../../../lib/db/index.js';
import type { FieldProtector } from '../../../lib/protect/index.js';

export const JWT_ALG = 'EdDSA';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

export interface SigningKeyRing {
  /** The key to sign with now; creates or rotates one when due. */
  current(): Promise<SigningKey>;
  /** Public key for a kid, or undefined if unknown (after at most one reload). */
  verificationKey(kid: string): Promise<CryptoKey | undefined>;
  /** JWKS document: every key still valid for verification. */
  jwks(): Promise<{ keys: JWK[] }>;
  /** Starts a new signing key now (old keys keep verifying until their verify_until). */
  rotate(): Promise<string>;
}

export interface SigningKeyRingOptions {
  db: Kysely<Tables>;
  protector: FieldProtector;
  clock: Clock;
  rotateAfterMs?: number;
  /** Must exceed the access-token lifetime plus clock tolerance. */
  overlapMs?: number;
  reloadIntervalMs?: number;
}

interface LoadedKey {
  kid: string;
  publicKey: CryptoKey;
  publicJwk: JWK;
  privateCiphertext: string;
  signUntil: number;
  verifyUntil: number;
  privateKey?: CryptoKey;
}

const DAY = 86_400_000;

export function createSigningKeyRing(options: SigningKeyRingOptions): SigningKeyRing {
  const { db, protector, clock } = options;
  const rotateAfterMs = options.rotateAfterMs ?? 7 * DAY;
  const overlapMs = options.overlapMs ?? DAY;
  const reloadIntervalMs = options.reloadIntervalMs ?? 5_000;
  let keys = new Map<string, LoadedKey>();
  let lastLoad = -Infinity;

  async function load(): Promise<void> {
    const rows = await db.selectFrom('jwt_signing_keys').selectAll()
      .where('verify_until', '>', toDbTime(clock.now())).execute();
    const next = new Map<string, LoadedKey>();
    for (const row of rows) {
      const known = keys.get(row.kid);
      const publicJwk = JSON.parse(row.public_jwk) as JWK;
      next.set(row.kid, known ?? {
        kid: row.kid,
        publicJwk,
        publicKey: (await importJWK(publicJwk, JWT_ALG)) as CryptoKey,
        privateCiphertext: row.private_ciphertext,
        signUntil: fromDbTime(row.sign_until),
        verifyUntil: fromDbTime(row.verify_until),
      });
    }
    keys = next;
    lastLoad = clock.now();
  }

  async function create(): Promise<string> {
    const kid = randomUUID();
    const { publicKey, privateKey } = await generateKeyPair(JWT_ALG, { crv: 'Ed25519', extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: JWT_ALG, use: 'sig' };
    const privateJwk = await exportJWK(privateKey);
    const now = clock.now();
    const privateCiphertext = await protector.encrypt(JSON.stringify(privateJwk), { table: 'jwt_signing_keys', column: 'private_ciphertext', rowId: kid });
    await db.insertInto('jwt_signing_keys').values({
      kid, alg: JWT_ALG, public_jwk: JSON.stringify(publicJwk), private_ciphertext: privateCiphertext,
      created_at: toDbTime(now), sign_until: toDbTime(now + rotateAfterMs), verify_until: toDbTime(now + rotateAfterMs + overlapMs),
    }).execute();
    return kid;
  }

  function newestSigning(now: number): LoadedKey | undefined {
    let best: LoadedKey | undefined;
    for (const key of keys.values()) if (key.signUntil > now && (!best || key.signUntil > best.signUntil)) best = key;
    return best;
  }

  async function ensurePrivate(key: LoadedKey): Promise<SigningKey> {
    if (!key.privateKey) {
      const jwk = JSON.parse(await protector.decrypt(key.privateCiphertext, { table: 'jwt_signing_keys', column: 'private_ciphertext', rowId: key.kid })) as JWK;
      key.privateKey = (await importJWK(jwk, JWT_ALG)) as CryptoKey;
    }
    return { kid: key.kid, privateKey: key.privateKey };
  }

  return {
    async current() {
      const now = clock.now();
      let key = newestSigning(now);
      if (!key) {
        await load();
        key = newestSigning(now);
        if (!key) {
          await create();
          await load();
          key = newestSigning(now);
        }
      }
      if (!key) throw new Error('no JWT signing key available');
      return ensurePrivate(key);
    },
    async verificationKey(kid) {
      const now = clock.now();
      let key = keys.get(kid);
      if (!key && now - lastLoad >= reloadIntervalMs) {
        await load();
        key = keys.get(kid);
      }
      return key && key.verifyUntil > now ? key.publicKey : undefined;
    },
    async jwks() {
      if (keys.size === 0 || clock.now() - lastLoad >= reloadIntervalMs) await load();
      const now = clock.now();
      return { keys: [...keys.values()].filter((k) => k.verifyUntil > now).map((k) => k.publicJwk) };
    },
    async rotate() {
      const kid = await create();
      await load();
      return kid;
    },
  };
}
