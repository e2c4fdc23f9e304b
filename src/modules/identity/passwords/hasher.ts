/**
 * Argon2id password hashing (RFC 9106) with @node-rs/argon2, which runs on libuv's thread pool so
 * the event loop is never blocked. Parameters exceed SPEC §3's floor (19 MiB, t=2): 19 MiB, t=3,
 * p=1 — OWASP's second recommended configuration — encoded in the PHC string, so raising them
 * later rehashes on the next successful login.
 */
import { hash, verify } from '@node-rs/argon2';

// @node-rs/argon2 exports Algorithm as an ambient const enum; Argon2id is its value 2.
const ARGON2ID = 2;

export interface PasswordHasherParams {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const DEFAULT_ARGON2_PARAMS: PasswordHasherParams = Object.freeze({ memoryCost: 19_456, timeCost: 3, parallelism: 1 });

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hashString: string, password: string): Promise<boolean>;
  /** True when the stored hash uses weaker parameters than the current ones. */
  needsRehash(hashString: string): boolean;
  /** Spends the same time as a real verify; used when the account does not exist (no enumeration). */
  dummyVerify(password: string): Promise<void>;
}

export function createPasswordHasher(params: PasswordHasherParams = DEFAULT_ARGON2_PARAMS): PasswordHasher {
  const options = { algorithm: ARGON2ID, ...params, outputLen: 32 };
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => hash(password.normalize('NFKC'), options),
    async verify(hashString, password) {
      try {
        return await verify(hashString, password.normalize('NFKC'));
      } catch {
        return false; // a malformed stored hash never authenticates
      }
    },
    needsRehash(hashString) {
      const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(hashString);
      if (!m) return true;
      return Number(m[1]) < params.memoryCost || Number(m[2]) < params.timeCost || Number(m[3]) < params.parallelism;
    },
    async dummyVerify(password) {
      dummy ??= hash('q2-dummy-password-for-timing', options);
      await verify(await dummy, password.normalize('NFKC')).catch(() => false);
    },
  };
}
