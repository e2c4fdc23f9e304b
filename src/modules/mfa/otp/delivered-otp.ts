/**
 * One-time codes delivered out of band (email, SMS), bound to a pending login (`challengeKey`).
 *
 * Invariants (SPEC §3): ≥ 6 digits from the CSPRNG; valid ≤ 10 min (checked against the
 * injected clock, the StateStore TTL only cleans up); ≤ 5 attempts per code, counted with an
 * atomic increment BEFORE comparing; single use, consumed with compareAndSwap so two concurrent
 * verifications cannot both win. Only a keyed hash of the code is stored: the key ring's blind
 * index (HMAC) over challenge id and code, so a dump of the state store does not reveal codes
 * even by brute force (10^6 guesses need the key, which never leaves the key ring). The challenge key itself is stored hashed (it may be a bearer token).
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

import type { Clock } from '../../../lib/clock/index.js';
import { AppError } from '../../../lib/errors/index.js';
import type { FieldProtector } from '../../../lib/protect/index.js';
import type { StateStore } from '../../../lib/state/index.js';
import type { MfaEvents } from '../events.js';
import type { MfaPolicy } from '../policy.js';
import type { DeliveredOtpService, FailureReason, Verdict } from '../types.js';

export type OtpChannel = 'email' | 'sms';

export interface DeliveredOtpDeps {
  channel: OtpChannel;
  state: StateStore;
  clock: Clock;
  protector: FieldProtector;
  events: MfaEvents;
  policy: MfaPolicy['otp'];
  /** The configured transport; undefined when the channel is not configured. */
  transport?: OtpTransport;
}

export interface OtpTransport {
  /** Throws an AppError VALIDATION_FAILED for a malformed address or phone number. */
  validate(destination: string): void;
  deliver(destination: string, code: string, ttlMinutes: number): Promise<void>;
}

type StoredChallenge = { id: string; userId: string; hash: string; expiresAt: number } | { id: string; used: true };

const HOUR_MS = 3_600_000;

function rateLimited(detail: string, limit: number, retryAfterMs: number): AppError {
  const seconds = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return new AppError('RATE_LIMITED', detail, {
    headers: { 'Retry-After': seconds, 'RateLimit-Limit': String(limit), 'RateLimit-Remaining': '0', 'RateLimit-Reset': seconds },
  });
}

export function createDeliveredOtp(deps: DeliveredOtpDeps): DeliveredOtpService {
  const { channel, state, clock, protector, events, policy } = deps;
  const isCode = (code: unknown) => typeof code === 'string' && code.length === policy.digits && /^[0-9]+$/.test(code);
  const ref = (challengeKey: string) => {
    if (typeof challengeKey !== 'string' || challengeKey.length === 0 || challengeKey.length > 2048) {
      throw new TypeError('challengeKey must be a string of 1..2048 characters');
    }
    return createHash('sha256').update(challengeKey).digest('base64url');
  };
  const keys = (ck: string) => ({
    record: `mfa:otp:${channel}:c:${ck}`,
    sends: `mfa:otp:${channel}:sends:${ck}`,
    cooldown: `mfa:otp:${channel}:cooldown:${ck}`,
  });
  const purpose = `mfa-otp-${channel}`;
  const codeHash = (id: string, code: string) => protector.blindIndex(`${id}:${code}`, purpose);
  /** Constant-time against every valid index key version, so a key rotation mid-login is harmless. */
  async function matchesStoredHash(id: string, code: string, hash: string): Promise<boolean> {
    const expected = Buffer.from(hash, 'utf8');
    let match = false;
    for (const candidate of await protector.blindIndexCandidates(`${id}:${code}`, purpose)) {
      const actual = Buffer.from(candidate, 'utf8');
      match = (actual.length === expected.length && timingSafeEqual(actual, expected)) || match;
    }
    return match;
  }

  /**
   * Windows follow the injected clock (the time of the last send is the stored value, hourly
   * counters are keyed by the hour), so limits mean the same on both adapters; store TTLs only
   * clean up.
   */
  async function enforceSendLimits(userId: string, ck: string): Promise<void> {
    const k = keys(ck);
    const now = clock.now();
    if (policy.resendCooldownMs > 0) {
      const last = await state.get(k.cooldown);
      const waited = last === null ? Infinity : now - Number(last);
      if (waited < policy.resendCooldownMs) throw rateLimited('Wait before requesting another code.', 1, policy.resendCooldownMs - waited);
      // A concurrent send won the swap: it counts as the send this one would have been.
      if (!(await state.compareAndSwap(k.cooldown, last, String(now), policy.resendCooldownMs))) {
        throw rateLimited('Wait before requesting another code.', 1, policy.resendCooldownMs);
      }
    }
    if ((await state.increment(k.sends, 1, HOUR_MS)) > policy.maxSendsPerChallenge) {
      throw rateLimited('Too many codes requested for this sign-in; start again.', policy.maxSendsPerChallenge, policy.ttlMs);
    }
    const hour = Math.floor(now / HOUR_MS);
    if ((await state.increment(`mfa:otp:${channel}:user:${userId}:${hour}`, 1, HOUR_MS)) > policy.maxSendsPerUserPerHour) {
      throw rateLimited('Too many codes requested; try again later.', policy.maxSendsPerUserPerHour, (hour + 1) * HOUR_MS - now);
    }
  }

  async function check(userId: string, challengeKey: string, code: string): Promise<Verdict> {
    const key = keys(ref(challengeKey)).record;
    const raw = await state.get(key);
    if (raw === null) return { ok: false, reason: 'expired' };
    const stored = JSON.parse(raw) as StoredChallenge;
    if ('used' in stored) return { ok: false, reason: 'replayed' };
    if (stored.userId !== userId) return { ok: false, reason: 'invalid' };
    const now = clock.now();
    if (now >= stored.expiresAt) return { ok: false, reason: 'expired' };
    const attempts = await state.increment(`mfa:otp:${channel}:attempts:${stored.id}`, 1, policy.ttlMs);
    if (attempts > policy.maxAttempts) return { ok: false, reason: 'too_many_attempts' };
    if (!isCode(code)) return { ok: false, reason: 'invalid' };
    if (!(await matchesStoredHash(stored.id, code, stored.hash))) return { ok: false, reason: 'invalid' };
    const consumed = JSON.stringify({ id: stored.id, used: true });
    const won = await state.compareAndSwap(key, raw, consumed, Math.max(1, stored.expiresAt - now));
    return won ? { ok: true } : { ok: false, reason: 'replayed' };
  }

  return {
    async send(userId, challengeKey, destination, ctx) {
      const { transport } = deps;
      if (!transport) throw new AppError('MFA_METHOD_UNAVAILABLE', `${channel} codes are not configured on this server.`);
      transport.validate(destination);
      const ck = ref(challengeKey);
      try {
        await enforceSendLimits(userId, ck);
      } catch (error) {
        events.emit(`mfa.${channel}.send_limited`, 'denied', { actor: userId }, ctx, { method: channel });
        throw error;
      }
      const id = randomBytes(16).toString('base64url');
      const code = String(randomInt(0, 10 ** policy.digits)).padStart(policy.digits, '0');
      const expiresAt = clock.now() + policy.ttlMs;
      const record: StoredChallenge = { id, userId, hash: await codeHash(id, code), expiresAt };
      // Stored before delivery, so a fast user never races the write; replaces any earlier code.
      await state.set(keys(ck).record, JSON.stringify(record), policy.ttlMs);
      try {
        await transport.deliver(destination, code, Math.ceil(policy.ttlMs / 60_000));
      } catch (error) {
        events.emit(`mfa.${channel}.send_failed`, 'failure', { actor: userId }, ctx, { method: channel });
        throw error;
      }
      events.emit(`mfa.${channel}.sent`, 'success', { actor: userId }, ctx, { method: channel, ttlMs: policy.ttlMs });
    },

    async verify(userId, challengeKey, code, ctx) {
      const verdict = await check(userId, challengeKey, code);
      if (verdict.ok) events.emit(`mfa.${channel}.verified`, 'success', { actor: userId }, ctx, { method: channel });
      else events.emit(`mfa.${channel}.failed`, 'failure', { actor: userId }, ctx, { method: channel, reason: verdict.reason satisfies FailureReason });
      return verdict;
    },
  };
}
