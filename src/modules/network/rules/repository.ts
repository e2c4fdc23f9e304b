/**
 * `network_rules` persistence (Kysely, SQLite and PostgreSQL). The database is the source of
 * truth that a booting replica loads and the periodic resync re-reads; the per-process matcher
 * is only a cache of it.
 */
import type { Kysely, Selectable } from 'kysely';
import { fromDbTime, toDbTime, type Tables } from '../../../lib/db/index.js';
import type { NetworkRule, RuleAction, RuleKind, RuleSource } from './types.js';

type Row = Selectable<Tables['network_rules']>;

export interface RuleQuery {
  kind?: RuleKind;
  action?: RuleAction;
  source?: RuleSource;
  limit: number;
  offset: number;
}

export interface RuleRepository {
  insert(rule: NetworkRule): Promise<void>;
  /** Rules not expired at `now` (all kinds), for the cache. */
  listLive(now: number): Promise<NetworkRule[]>;
  /** A page of live rules, newest first, and the total count matching the filter. */
  page(query: RuleQuery, now: number): Promise<{ rules: NetworkRule[]; total: number }>;
  /** Deletes by id; returns the deleted rule, or null when there was none. */
  delete(id: string): Promise<NetworkRule | null>;
  /** Rules whose expiry passed (up to `limit`), for the purge. */
  listExpired(now: number, limit: number): Promise<NetworkRule[]>;
}

const KINDS: readonly RuleKind[] = ['ip', 'user', 'apikey'];
const ACTIONS: readonly RuleAction[] = ['allow', 'deny'];
const SOURCES: readonly RuleSource[] = ['admin', 'containment', 'recidive'];

function oneOf<T extends string>(value: string, allowed: readonly T[], column: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new TypeError(`network_rules.${column} holds an unknown value`);
  return value as T;
}

function fromRow(row: Row): NetworkRule {
  return {
    id: row.id,
    kind: oneOf(row.kind, KINDS, 'kind'),
    subject: row.subject,
    action: oneOf(row.action, ACTIONS, 'action'),
    source: oneOf(row.source, SOURCES, 'source'),
    reason: row.reason,
    createdBy: row.created_by,
    createdAt: fromDbTime(row.created_at),
    expiresAt: row.expires_at === null ? null : fromDbTime(row.expires_at),
  };
}

export function createRuleRepository(db: Kysely<Tables>): RuleRepository {
  return {
    async insert(rule) {
      await db.insertInto('network_rules').values({
        id: rule.id,
        kind: rule.kind,
        subject: rule.subject,
        action: rule.action,
        source: rule.source,
        reason: rule.reason,
        created_by: rule.createdBy,
        created_at: toDbTime(rule.createdAt),
        expires_at: rule.expiresAt === null ? null : toDbTime(rule.expiresAt),
      }).execute();
    },
    async listLive(now) {
      const rows = await db.selectFrom('network_rules').selectAll()
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', toDbTime(now))]))
        .execute();
      return rows.map(fromRow);
    },
    async page(query, now) {
      let base = db.selectFrom('network_rules')
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', toDbTime(now))]));
      if (query.kind) base = base.where('kind', '=', query.kind);
      if (query.action) base = base.where('action', '=', query.action);
      if (query.source) base = base.where('source', '=', query.source);
      const [rows, count] = await Promise.all([
        base.selectAll().orderBy('created_at', 'desc').orderBy('id').limit(query.limit).offset(query.offset).execute(),
        base.select((eb) => eb.fn.countAll<bigint | number | string>().as('n')).executeTakeFirst(),
      ]);
      return { rules: rows.map(fromRow), total: Number(count?.n ?? 0) };
    },
    async delete(id) {
      return db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('network_rules').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return null;
        const result = await trx.deleteFrom('network_rules').where('id', '=', id).executeTakeFirst();
        // Another replica may have purged it between the two statements: only one reports it.
        return result.numDeletedRows === 1n ? fromRow(row) : null;
      });
    },
    async listExpired(now, limit) {
      const rows = await db.selectFrom('network_rules').selectAll()
        .where('expires_at', '<=', toDbTime(now)).orderBy('expires_at').limit(limit).execute();
      return rows.map(fromRow);
    },
  };
}
