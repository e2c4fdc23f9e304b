/**
 * Sessions and refresh-token families (SPEC §3). One session = one refresh-token family.
 *
 * Invariants:
 * - Rotation is one conditional UPDATE (`used_at IS NULL`): of two concurrent refreshes of one
 *   token exactly one changes a row and wins.
 * - A token seen again after it was used is reuse: the whole family (session) is revoked and a
 *   security event raised; the family's newest token dies with it.
 * - Idle timeout: liveness key with TTL in the shared store, refreshed by activity; absolute
 *   timeout: `expires_at`, never extended.
 * - At most `maxSessions` live sessions per user: the oldest is evicted or the login refused.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../lib/clock/index.js';
import { fromDbTime, toDbTime, type Database } from '../../../lib/db/index.js';
import { AppError } from '../../../lib/errors/index.js';
import type { SecurityEventBus } from '../../../lib/events/index.js';
import type { FieldProtector } from '../../../lib/protect/index.js';
import type { RevocationStore } from './revocation.js';
import { hashRefreshToken, looksLikeRefreshToken, newRefreshToken } from './refresh-token.js';

export interface SessionPolicy {
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
  maxSessions: number;
  onLimit: 'evict-oldest' | 'refuse';
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = Object.freeze({
  idleTimeoutMs: 30 * 60_000, absoluteTimeoutMs: 12 * 3_600_000, maxSessions: 5, onLimit: 'evict-oldest',
});

export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface SessionInfo {
  id: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  amr: string[];
  ip: string | null;
  userAgent: string | null;
}

export interface ActiveSession {
  sessionId: string;
  userId: string;
  amr: string[];
  authTimeMs: number;
}

export interface SessionService {
  start(input: { userId: string; amr: readonly string[]; authTimeMs: number }, ctx: RequestContext): Promise<ActiveSession & { refreshToken: string }>;
  rotate(refreshToken: string, ctx: RequestContext): Promise<ActiveSession & { refreshToken: string }>;
  revoke(sessionId: string, reason: string): Promise<void>;
  revokeAllForUser(userId: string, reason: string): Promise<number>;
  list(userId: string): Promise<SessionInfo[]>;
  /** Source of truth when the liveness key is missing (e.g. after a restart of in-process state). */
  isActive(sessionId: string): Promise<boolean>;
  /** Records activity: extends the idle deadline, never the absolute one. */
  touch(sessionId: string): Promise<void>;
  /** After a step-up MFA: the session's newest authentication. */
  recordStepUp(sessionId: string, amr: readonly string[], authTimeMs: number): Promise<void>;
  ownerOf(sessionId: string): Promise<string | null>;
  /** The session a refresh token belongs to (used or not), for CSRF checks before rotating. */
  sessionOfRefreshToken(refreshToken: string): Promise<string | null>;
}

export function createSessionService(deps: {
  database: Database; revocation: RevocationStore; clock: Clock; events: SecurityEventBus;
  protector: FieldProtector; policy?: Partial<SessionPolicy>;
}): SessionService {
  const { database, revocation, clock, events, protector } = deps;
  const db = database.kysely;
  const policy: SessionPolicy = { ...DEFAULT_SESSION_POLICY, ...deps.policy };

  const liveTtl = (expiresAt: number, now: number) => Math.min(policy.idleTimeoutMs, expiresAt - now);
  const liveWhere = (now: number) => (qb: ReturnType<typeof db.selectFrom<'sessions'>>) => qb
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', toDbTime(now))
    .where('last_seen_at', '>', toDbTime(now - policy.idleTimeoutMs));

  async function markRevoked(sessionIds: string[], reason: string): Promise<void> {
    if (sessionIds.length === 0) return;
    await db.updateTable('sessions').set({ revoked_at: toDbTime(clock.now()), revoked_reason: reason })
      .where('id', 'in', sessionIds).where('revoked_at', 'is', null).execute();
    await Promise.all(sessionIds.map((id) => revocation.killSession(id)));
  }

  const service: SessionService = {
    async start({ userId, amr, authTimeMs }, ctx) {
      const now = clock.now();
      const id = randomUUID();
      const { token, hash } = newRefreshToken();
      const expiresAt = now + policy.absoluteTimeoutMs;
      const [ipCiphertext, uaCiphertext] = await Promise.all([
        ctx.ip ? protector.encrypt(ctx.ip, { table: 'sessions', column: 'ip', rowId: id, keyId: `user.${userId}` }) : null,
        ctx.userAgent ? protector.encrypt(ctx.userAgent.slice(0, 512), { table: 'sessions', column: 'user_agent', rowId: id, keyId: `user.${userId}` }) : null,
      ]);
      const evicted = await db.transaction().execute(async (trx) => {
        // PostgreSQL: serialise logins of one user so two replicas cannot both pass the cap.
        // SQLite transactions are already serialised by its single writer.
        if (database.dialect === 'postgres') {
          await trx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
        }
        const live = await liveWhere(now)(trx.selectFrom('sessions')).select(['id']).where('user_id', '=', userId)
          .orderBy('created_at', 'asc').execute();
        const excess = live.length + 1 - policy.maxSessions;
        if (excess > 0 && policy.onLimit === 'refuse') {
          throw new AppError('AUTH_SESSION_LIMIT', `At most ${policy.maxSessions} concurrent sessions; end one first.`);
        }
        const toEvict = excess > 0 ? live.slice(0, excess).map((s) => s.id) : [];
        if (toEvict.length > 0) {
          await trx.updateTable('sessions').set({ revoked_at: toDbTime(now), revoked_reason: 'evicted' })
            .where('id', 'in', toEvict).execute();
        }
        await trx.insertInto('sessions').values({
          id, user_id: userId, created_at: toDbTime(now), expires_at: toDbTime(expiresAt), last_seen_at: toDbTime(now),
          revoked_at: null, revoked_reason: null, amr: JSON.stringify(amr), auth_time: toDbTime(authTimeMs),
          ip_ciphertext: ipCiphertext, user_agent_ciphertext: uaCiphertext,
        }).execute();
        await trx.insertInto('refresh_tokens').values({
          token_hash: hash, session_id: id, created_at: toDbTime(now), expires_at: toDbTime(expiresAt), used_at: null,
        }).execute();
        return toEvict;
      });
      await Promise.all(evicted.map((sid) => revocation.killSession(sid)));
      for (const sid of evicted) {
        events.emit({ type: 'auth.session.evicted', actor: userId, target: sid, outcome: 'info', ip: ctx.ip, requestId: ctx.requestId, details: { reason: 'session_limit' } });
      }
      await revocation.markSessionLive(id, liveTtl(expiresAt, now));
      return { sessionId: id, userId, amr: [...amr], authTimeMs, refreshToken: token };
    },

    async rotate(refreshToken, ctx) {
      if (!looksLikeRefreshToken(refreshToken)) throw new AppError('AUTH_TOKEN_INVALID', 'Refresh token invalid.');
      const now = clock.now();
      const oldHash = hashRefreshToken(refreshToken);
      const next = newRefreshToken();
      const outcome = await db.transaction().execute(async (trx) => {
        const claimed = await trx.updateTable('refresh_tokens').set({ used_at: toDbTime(now) })
          .where('token_hash', '=', oldHash).where('used_at', 'is', null).where('expires_at', '>', toDbTime(now))
          .executeTakeFirst();
        const row = await trx.selectFrom('refresh_tokens').innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
          .select(['sessions.id as sid', 'sessions.user_id', 'sessions.revoked_at', 'sessions.expires_at', 'sessions.last_seen_at',
            'sessions.amr', 'sessions.auth_time', 'refresh_tokens.used_at', 'refresh_tokens.expires_at as token_expires_at'])
          .where('refresh_tokens.token_hash', '=', oldHash).executeTakeFirst();
        if (!row) return { kind: 'unknown' as const };
        if (Number(claimed.numUpdatedRows) !== 1) {
          // Not claimed: either already used (reuse, even by a concurrent twin) or expired.
          return row.used_at !== null
            ? { kind: 'reused' as const, sid: row.sid, userId: row.user_id }
            : { kind: 'expired' as const };
        }
        const expiresAt = fromDbTime(row.expires_at);
        const idleDeadline = fromDbTime(row.last_seen_at) + policy.idleTimeoutMs;
        if (row.revoked_at !== null) return { kind: 'revoked' as const };
        if (expiresAt <= now || idleDeadline <= now) return { kind: 'expired' as const };
        await trx.insertInto('refresh_tokens').values({
          token_hash: next.hash, session_id: row.sid, created_at: toDbTime(now), expires_at: row.expires_at, used_at: null,
        }).execute();
        await trx.updateTable('sessions').set({ last_seen_at: toDbTime(now) }).where('id', '=', row.sid).execute();
        return {
          kind: 'rotated' as const, sid: row.sid, userId: row.user_id, expiresAt,
          amr: JSON.parse(row.amr) as string[], authTimeMs: fromDbTime(row.auth_time),
        };
      });

      switch (outcome.kind) {
        case 'rotated':
          await revocation.markSessionLive(outcome.sid, liveTtl(outcome.expiresAt, now));
          return { sessionId: outcome.sid, userId: outcome.userId, amr: outcome.amr, authTimeMs: outcome.authTimeMs, refreshToken: next.token };
        case 'reused':
          await markRevoked([outcome.sid], 'refresh_reuse');
          events.emit({ type: 'auth.refresh.reused', actor: outcome.userId, target: outcome.sid, outcome: 'denied', ip: ctx.ip, requestId: ctx.requestId, details: { action: 'family_revoked' } });
          throw new AppError('AUTH_REFRESH_REUSED', 'Refresh token was already used; the session has been revoked.');
        case 'revoked':
          throw new AppError('AUTH_TOKEN_REVOKED', 'Session revoked.');
        case 'expired':
          throw new AppError('AUTH_TOKEN_EXPIRED', 'Session expired; log in again.');
        default:
          throw new AppError('AUTH_TOKEN_INVALID', 'Refresh token invalid.');
      }
    },

    async revoke(sessionId, reason) {
      await markRevoked([sessionId], reason);
    },

    async revokeAllForUser(userId, reason) {
      const rows = await db.selectFrom('sessions').select('id').where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
      await markRevoked(rows.map((r) => r.id), reason);
      return rows.length;
    },

    async list(userId) {
      const now = clock.now();
      const rows = await liveWhere(now)(db.selectFrom('sessions')).selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').execute();
      return Promise.all(rows.map(async (row) => ({
        id: row.id,
        createdAt: fromDbTime(row.created_at),
        lastSeenAt: fromDbTime(row.last_seen_at),
        expiresAt: fromDbTime(row.expires_at),
        amr: JSON.parse(row.amr) as string[],
        ip: row.ip_ciphertext ? await protector.decrypt(row.ip_ciphertext, { table: 'sessions', column: 'ip', rowId: row.id, keyId: `user.${userId}` }) : null,
        userAgent: row.user_agent_ciphertext ? await protector.decrypt(row.user_agent_ciphertext, { table: 'sessions', column: 'user_agent', rowId: row.id, keyId: `user.${userId}` }) : null,
      })));
    },

    async isActive(sessionId) {
      const now = clock.now();
      const row = await liveWhere(now)(db.selectFrom('sessions')).select(['expires_at']).where('id', '=', sessionId).executeTakeFirst();
      if (!row) return false;
      await revocation.markSessionLive(sessionId, liveTtl(fromDbTime(row.expires_at), now));
      return true;
    },

    async touch(sessionId) {
      const now = clock.now();
      const row = await db.updateTable('sessions').set({ last_seen_at: toDbTime(now) })
        .where('id', '=', sessionId).where('revoked_at', 'is', null).returning(['expires_at']).executeTakeFirst();
      if (row) await revocation.markSessionLive(sessionId, liveTtl(fromDbTime(row.expires_at), now));
    },

    async recordStepUp(sessionId, amr, authTimeMs) {
      await db.updateTable('sessions').set({ amr: JSON.stringify(amr), auth_time: toDbTime(authTimeMs) }).where('id', '=', sessionId).execute();
    },

    async sessionOfRefreshToken(refreshToken) {
      if (!looksLikeRefreshToken(refreshToken)) return null;
      const row = await db.selectFrom('refresh_tokens').select('session_id').where('token_hash', '=', hashRefreshToken(refreshToken)).executeTakeFirst();
      return row?.session_id ?? null;
    },

    async ownerOf(sessionId) {
      const row = await db.selectFrom('sessions').select('user_id').where('id', '=', sessionId).executeTakeFirst();
      return row?.user_id ?? null;
    },
  };
  return service;
}
