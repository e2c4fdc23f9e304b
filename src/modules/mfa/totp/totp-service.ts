/**
 * RFC 6238 TOTP as a second factor: SHA-1, 6 digits, 30 s steps, ±1 step (policy.totp.window).
 *
 * Invariants:
 * - The secret is only stored encrypted (FieldProtector, AAD = mfa_totp|secret_ciphertext|user).
 * - A code is accepted at most once per account: the matched time step is claimed with
 *   `setIfAbsent` in the shared StateStore, so a replay fails on every replica.
 * - An attempt is charged to the user's failure budget before the code is looked at.
 */
import { randomBytes } from 'node:crypto';

import type { Clock } from '../../../lib/clock/index.js';
import { AppError } from '../../../lib/errors/index.js';
import type { FieldContext, FieldProtector } from '../../../lib/protect/index.js';
import type { StateStore } from '../../../lib/state/index.js';
import type { MfaEvents } from '../events.js';
import type { FailureLimiter } from '../failure-limiter.js';
import type { MfaPolicy } from '../policy.js';
import type { EventContext, FailureReason, TotpService, Verdict } from '../types.js';
import { base32Decode, base32Encode } from './base32.js';
import { matchTotp, type TotpParams } from './hotp.js';
import type { TotpRepository } from './totp-repository.js';

/** SPEC §3 fixes these; authenticator apps widely support nothing else. */
const PARAMS: TotpParams = Object.freeze({ digits: 6, periodS: 30, algorithm: 'SHA1' });
/** RFC 4226 §4 R6: a shared secret of at least 128 bits, 160 recommended. */
const SECRET_BYTES = 20;
const CODE = /^[0-9]{6}$/;

export interface TotpServiceDeps {
  repository: TotpRepository;
  protector: FieldProtector;
  state: StateStore;
  clock: Clock;
  events: MfaEvents;
  limiter: FailureLimiter;
  policy: MfaPolicy['totp'];
  /** Issues the first backup codes once enrollment is confirmed. */
  issueBackupCodes(userId: string, ctx?: EventContext): Promise<string[]>;
}

const fieldContext = (userId: string): FieldContext => ({ table: 'mfa_totp', column: 'secret_ciphertext', rowId: userId });

export function otpauthUri(issuer: string, label: string, secret: string): string {
  const i = encodeURIComponent(issuer);
  return `otpauth://totp/${i}:${encodeURIComponent(label)}?secret=${secret}&issuer=${i}` +
    `&algorithm=${PARAMS.algorithm}&digits=${PARAMS.digits}&period=${PARAMS.periodS}`;
}

function assertLabel(label: string): void {
  // ':' separates issuer and account in the Key URI label; control characters would reach the app's UI.
  // eslint-disable-next-line no-control-regex
  if (typeof label !== 'string' || label.length === 0 || label.length > 128 || /[\u0000-\u001f\u007f:]/.test(label)) {
    throw new AppError('VALIDATION_FAILED', 'The account label must be 1..128 characters without ":" or control characters.');
  }
}

export function createTotpService(deps: TotpServiceDeps): TotpService {
  const { repository, protector, state, clock, events, limiter, policy } = deps;
  // A step stays acceptable while now is within ±window of it: remember it a step longer.
  const replayTtlMs = (2 * policy.window + 2) * PARAMS.periodS * 1000;

  /** Checks `code` against `secret`; on a match claims the step. Charges the budget first. */
  async function check(userId: string, secret: string, code: string): Promise<Verdict> {
    if (!(await limiter.reserve(userId))) return { ok: false, reason: 'too_many_attempts' };
    const key = base32Decode(secret);
    if (key === null) throw new TypeError('stored TOTP secret is not base32');
    const step = typeof code === 'string' && CODE.test(code) ? matchTotp(key, code, clock.now(), { ...PARAMS, window: policy.window }) : null;
    if (step === null) return { ok: false, reason: 'invalid' };
    const first = await state.setIfAbsent(`mfa:totp:used:${userId}:${step}`, '1', replayTtlMs);
    if (!first) return { ok: false, reason: 'replayed' };
    await limiter.reset(userId);
    return { ok: true };
  }

  const fail = (type: 'mfa.totp.failed' | 'mfa.totp.enrollment_failed', userId: string, reason: FailureReason, ctx?: EventContext) =>
    events.emit(type, 'failure', { actor: userId }, ctx, { method: 'totp', reason });

  return {
    async beginEnrollment(userId, label, ctx) {
      assertLabel(label);
      const secret = base32Encode(randomBytes(SECRET_BYTES));
      const ciphertext = await protector.encrypt(secret, fieldContext(userId));
      if (!(await repository.savePending(userId, ciphertext, clock.now()))) {
        throw new AppError('MFA_ALREADY_ENROLLED', 'TOTP is already active; disable it first.');
      }
      events.emit('mfa.totp.enrollment_started', 'info', { actor: userId }, ctx, { method: 'totp' });
      return { secret, otpauthUri: otpauthUri(policy.issuer, label, secret) };
    },

    async confirmEnrollment(userId, code, ctx) {
      const row = await repository.get(userId);
      let verdict: Verdict;
      if (row === null || row.confirmedAt !== null) verdict = { ok: false, reason: 'not_enrolled' };
      else if (clock.now() - row.createdAt > policy.enrollmentTtlMs) verdict = { ok: false, reason: 'expired' };
      else {
        verdict = await check(userId, await protector.decrypt(row.secretCiphertext, fieldContext(userId)), code);
        // Lost a race with a restarted enrollment: the code was for a secret no longer pending.
        if (verdict.ok && !(await repository.confirm(userId, row.secretCiphertext, clock.now()))) {
          verdict = { ok: false, reason: 'expired' };
        }
      }
      if (!verdict.ok) {
        fail('mfa.totp.enrollment_failed', userId, verdict.reason, ctx);
        return verdict;
      }
      events.emit('mfa.totp.enrolled', 'success', { actor: userId }, ctx, { method: 'totp' });
      return { ok: true, backupCodes: await deps.issueBackupCodes(userId, ctx) };
    },

    async verify(userId, code, ctx) {
      const row = await repository.get(userId);
      const verdict: Verdict = row === null || row.confirmedAt === null
        ? { ok: false, reason: 'not_enrolled' }
        : await check(userId, await protector.decrypt(row.secretCiphertext, fieldContext(userId)), code);
      if (verdict.ok) events.emit('mfa.totp.verified', 'success', { actor: userId }, ctx, { method: 'totp' });
      else fail('mfa.totp.failed', userId, verdict.reason, ctx);
      return verdict;
    },

    async disable(userId, ctx) {
      const removed = await repository.remove(userId);
      if (removed) events.emit('mfa.totp.disabled', 'success', { actor: userId }, ctx, { method: 'totp' });
      return removed;
    },
  };
}
