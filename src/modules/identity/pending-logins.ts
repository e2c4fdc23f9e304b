/**
 * Short-lived, single-purpose login continuations: the `mfaToken` (password verified, second
 * factor pending) and the `enrollmentToken` (privileged role must enrol MFA first). Opaque 256-bit
 * values, stored hashed in the shared store for 5 minutes; they are not access tokens and no
 * route other than their own accepts them.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { StateStore } from '../../lib/state/index.js';

export const PENDING_LOGIN_TTL_MS = 5 * 60_000;

export type PendingPurpose = 'mfa' | 'enroll';

export interface PendingLogin {
  /** Stable id of this pending login: binds OTP challenges and WebAuthn challenges to it. */
  id: string;
  purpose: PendingPurpose;
  userId: string;
  amr: string[];
  createdAt: number;
}

export interface PendingLoginStore {
  create(input: Omit<PendingLogin, 'id'>): Promise<string>;
  /** Reads without consuming (to send an OTP, or to count a failed attempt). */
  peek(token: string, purpose: PendingPurpose): Promise<PendingLogin | null>;
  /** Consumes atomically: of concurrent callers exactly one gets the login. */
  consume(token: string, purpose: PendingPurpose): Promise<PendingLogin | null>;
}

const PREFIXES: Record<PendingPurpose, string> = { mfa: 'q2m_', enroll: 'q2e_' };

function keyOf(token: string): string {
  return `auth:pending:${createHash('sha256').update(token).digest('base64url')}`;
}

export function createPendingLoginStore(state: StateStore): PendingLoginStore {
  async function read(token: string, purpose: PendingPurpose): Promise<{ raw: string; login: PendingLogin } | null> {
    if (typeof token !== 'string' || !token.startsWith(PREFIXES[purpose]) || token.length > 100) return null;
    const raw = await state.get(keyOf(token));
    if (!raw) return null;
    const login = JSON.parse(raw) as PendingLogin;
    return login.purpose === purpose ? { raw, login } : null;
  }
  return {
    async create(input) {
      const token = PREFIXES[input.purpose] + randomBytes(32).toString('base64url');
      const login: PendingLogin = { ...input, id: createHash('sha256').update(`id:${token}`).digest('base64url').slice(0, 22) };
      await state.set(keyOf(token), JSON.stringify(login), PENDING_LOGIN_TTL_MS);
      return token;
    },
    async peek(token, purpose) {
      return (await read(token, purpose))?.login ?? null;
    },
    async consume(token, purpose) {
      const found = await read(token, purpose);
      if (!found) return null;
      return (await state.compareAndSwap(keyOf(token), found.raw, null)) ? found.login : null;
    },
  };
}
