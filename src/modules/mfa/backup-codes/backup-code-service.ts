/**
 * One-time backup codes: `count` codes shown once, stored as Argon2id hashes (RFC 9106; OWASP
 * minimum m = 19 MiB, t = 2, p = 1), each spendable once. The public tag selects the single row
 * to check; an unknown tag still costs one Argon2id verify, so timing does not reveal whether a
 * tag exists. A correct code that was already spent answers `replayed`.
 */
import { hash, verify } from '@node-rs/argon2';

import type { Clock } from '../../../lib/clock/index.js';
import type { MfaEvents } from '../events.js';
import type { FailureLimiter } from '../failure-limiter.js';
import type { BackupCodeService, Verdict } from '../types.js';
import type { BackupCodeRepository } from './backup-code-repository.js';
import { formatCode, generateCodeSet, normalizeCode, tagOf } from './codes.js';

// @node-rs/argon2 declares Algorithm as an ambient const enum; Argon2id is its value 2.
const ARGON2ID = 2;
export const BACKUP_CODE_ARGON2 = Object.freeze({ algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 });

export interface BackupCodeServiceDeps {
  repository: BackupCodeRepository;
  clock: Clock;
  events: MfaEvents;
  limiter: FailureLimiter;
  count: number;
}

export function createBackupCodeService(deps: BackupCodeServiceDeps): BackupCodeService {
  const { repository, clock, events, limiter } = deps;
  let dummyHash: Promise<string> | undefined;

  async function check(userId: string, input: string): Promise<Verdict> {
    if (!(await limiter.reserve(userId))) return { ok: false, reason: 'too_many_attempts' };
    const code = normalizeCode(input);
    if (code === null) return { ok: false, reason: 'invalid' };
    const row = await repository.findByTag(userId, tagOf(code));
    if (row === null) {
      dummyHash ??= hash('q2-backup-code-timing-dummy', BACKUP_CODE_ARGON2);
      await verify(await dummyHash, code).catch(() => false);
      return { ok: false, reason: (await repository.countUnused(userId)) === 0 ? 'not_enrolled' : 'invalid' };
    }
    const matches = await verify(row.codeHash, code).catch(() => false);
    if (!matches) return { ok: false, reason: 'invalid' };
    if (row.used || !(await repository.markUsed(row.id, clock.now()))) return { ok: false, reason: 'replayed' };
    await limiter.reset(userId);
    return { ok: true };
  }

  return {
    async regenerate(userId, ctx) {
      const codes = generateCodeSet(deps.count);
      const hashed = await Promise.all(codes.map(async (code) => ({ tag: tagOf(code), codeHash: await hash(code, BACKUP_CODE_ARGON2) })));
      await repository.replaceAll(userId, hashed, clock.now());
      events.emit('mfa.backup_code.generated', 'success', { actor: userId }, ctx, { method: 'backup_code', count: codes.length });
      return codes.map(formatCode);
    },

    async verify(userId, code, ctx) {
      const verdict = await check(userId, code);
      if (verdict.ok) {
        const remaining = await repository.countUnused(userId);
        events.emit('mfa.backup_code.used', 'success', { actor: userId }, ctx, { method: 'backup_code', remaining });
      } else {
        events.emit('mfa.backup_code.failed', 'failure', { actor: userId }, ctx, { method: 'backup_code', reason: verdict.reason });
      }
      return verdict;
    },

    remaining: (userId) => repository.countUnused(userId),
  };
}
