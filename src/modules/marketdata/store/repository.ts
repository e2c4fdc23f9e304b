/**
 * Durable market-data configuration (Kysely; SQLite and PostgreSQL): sources, symbol policies
 * and halts. The database is the source of truth every replica loads and periodically re-reads;
 * the in-process registry is a cache of it.
 *
 * Atomicity: `insertSource` and `insertHalt` are single INSERT … ON CONFLICT DO NOTHING
 * statements (exactly one concurrent caller gets `true`); `deleteHalt` deletes by (symbol,
 * halt_id), so of two replicas lifting the same halt exactly one gets `true`, and a replica
 * holding an old halt id can never lift a newer halt.
 */
import type { Kysely } from 'kysely';
import { fromDbTime, toDbTime, type Tables } from '../../../lib/db/index.js';
import type { HaltInfo, HaltReason } from '../engine/evaluate.js';
import type { SourceStatus } from '../feed/source.js';

export interface SourceRow {
  sourceId: string;
  publicKeyPem: string;
  symbols: string[];
  status: SourceStatus;
  createdBy: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface PolicyRow {
  symbol: string;
  /** Parsed JSON; the registry re-validates it with resolvePolicy. */
  policy: unknown;
  version: bigint;
  updatedAt: number;
}

export interface HaltRow extends HaltInfo {
  symbol: string;
  details: Record<string, unknown>;
  createdBy: string;
}

export interface MarketDataRepository {
  listSources(): Promise<SourceRow[]>;
  insertSource(row: Omit<SourceRow, 'revokedAt'>): Promise<boolean>;
  /** Marks an active source revoked; false when there was none active. */
  revokeSource(sourceId: string, by: string, at: number): Promise<boolean>;
  listPolicies(): Promise<PolicyRow[]>;
  /** Creates or replaces a symbol's policy; returns the new version. */
  putPolicy(symbol: string, policy: unknown, by: string, at: number): Promise<bigint>;
  listHalts(): Promise<HaltRow[]>;
  insertHalt(row: HaltRow): Promise<boolean>;
  deleteHalt(symbol: string, haltId: string): Promise<boolean>;
}

const HALT_REASONS: readonly HaltReason[] = ['quorum_lost', 'divergence', 'jump'];

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new TypeError(`${what} holds invalid JSON`);
  }
}

export function createMarketDataRepository(db: Kysely<Tables>): MarketDataRepository {
  return {
    async listSources() {
      const rows = await db.selectFrom('marketdata_sources').selectAll().orderBy('source_id').execute();
      return rows.map((row) => {
        const symbols = parseJson(row.symbols, 'marketdata_sources.symbols');
        if (!Array.isArray(symbols) || !symbols.every((s) => typeof s === 'string')) throw new TypeError('marketdata_sources.symbols is not a string array');
        if (row.status !== 'active' && row.status !== 'revoked') throw new TypeError('marketdata_sources.status holds an unknown value');
        return {
          sourceId: row.source_id, publicKeyPem: row.public_key, symbols, status: row.status, createdBy: row.created_by,
          createdAt: fromDbTime(row.created_at), revokedAt: row.revoked_at === null ? null : fromDbTime(row.revoked_at),
        };
      });
    },
    async insertSource(row) {
      const result = await db.insertInto('marketdata_sources').values({
        source_id: row.sourceId, public_key: row.publicKeyPem, symbols: JSON.stringify(row.symbols), status: row.status,
        created_by: row.createdBy, created_at: toDbTime(row.createdAt), revoked_by: null, revoked_at: null,
      }).onConflict((oc) => oc.column('source_id').doNothing()).executeTakeFirst();
      return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
    },
    async revokeSource(sourceId, by, at) {
      const result = await db.updateTable('marketdata_sources').set({ status: 'revoked', revoked_by: by, revoked_at: toDbTime(at) })
        .where('source_id', '=', sourceId).where('status', '=', 'active').executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async listPolicies() {
      const rows = await db.selectFrom('marketdata_symbols').selectAll().orderBy('symbol').execute();
      return rows.map((row) => ({ symbol: row.symbol, policy: parseJson(row.policy, 'marketdata_symbols.policy'), version: row.version, updatedAt: fromDbTime(row.updated_at) }));
    },
    async putPolicy(symbol, policy, by, at) {
      const text = JSON.stringify(policy);
      const row = await db.insertInto('marketdata_symbols')
        .values({ symbol, policy: text, version: 1n, updated_by: by, updated_at: toDbTime(at) })
        .onConflict((oc) => oc.column('symbol').doUpdateSet((eb) => ({
          policy: text, version: eb(eb.ref('marketdata_symbols.version'), '+', 1n), updated_by: by, updated_at: toDbTime(at),
        })))
        .returning('version').executeTakeFirstOrThrow();
      return row.version;
    },
    async listHalts() {
      const rows = await db.selectFrom('marketdata_halts').selectAll().orderBy('symbol').execute();
      return rows.map((row) => {
        if (!(HALT_REASONS as readonly string[]).includes(row.reason)) throw new TypeError('marketdata_halts.reason holds an unknown value');
        const details = parseJson(row.details, 'marketdata_halts.details');
        return {
          symbol: row.symbol, haltId: row.halt_id, reason: row.reason as HaltReason, since: fromDbTime(row.created_at),
          details: details !== null && typeof details === 'object' && !Array.isArray(details) ? details as Record<string, unknown> : {},
          createdBy: row.created_by,
        };
      });
    },
    async insertHalt(row) {
      const result = await db.insertInto('marketdata_halts').values({
        symbol: row.symbol, halt_id: row.haltId, reason: row.reason, details: JSON.stringify(row.details),
        created_by: row.createdBy, created_at: toDbTime(row.since),
      }).onConflict((oc) => oc.column('symbol').doNothing()).executeTakeFirst();
      return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
    },
    async deleteHalt(symbol, haltId) {
      const result = await db.deleteFrom('marketdata_halts').where('symbol', '=', symbol).where('halt_id', '=', haltId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
