/**
 * Bulk rewrap of encrypted fields to the primary key versions, for `q2 keys rewrap`.
 *
 * Crash safety and resumability: rows are visited in row-id order in batches; each batch is
 * written in one transaction of compare-and-swap updates (a row is written only if its fields
 * still hold the values that were read). A kill at any point leaves every field either under
 * its old version (still decrypt-only, so readable) or under the new one; nothing is half
 * written. A rerun scans again and skips fields already current, so it completes the work.
 * A row changed by the application between read and write is left alone (a `conflict`: the
 * application wrote it under the primary already, or a rerun picks it up).
 */
import { systemClock, type Clock } from '../../../lib/clock/index.js';
import type { EncryptedTable } from '../fields/encrypted-columns.js';
import type { FieldCipher } from '../fields/field-cipher.js';
import { parseTextHeader } from '../envelope/format.js';
import { isCryptoError } from '../errors.js';

export interface RewrapUpdate {
  readonly rowId: unknown;
  /** Values read for every column in `next` (null for a missing blind index). */
  readonly previous: Readonly<Record<string, unknown>>;
  readonly next: Readonly<Record<string, string>>;
}

/** A table holding encrypted fields, as the rewrap job sees it. */
export interface RewrapTarget {
  readonly table: EncryptedTable<never>;
  count(): Promise<number>;
  /** Up to `limit` rows with row id greater than `after` (all rows when undefined), ascending. */
  scan(after: unknown, limit: number): Promise<Record<string, unknown>[]>;
  /** Applies the updates in one transaction, each only if `previous` still holds; returns how many applied. */
  apply(updates: readonly RewrapUpdate[]): Promise<number>;
}

export interface RewrapProgress {
  readonly table: string;
  readonly scanned: number;
  readonly total: number;
  readonly rewritten: number;
}

export interface RewrapReport {
  /** Clock time the pass started; retirement is safe only for versions demoted long before. */
  readonly startedAt: number;
  readonly scanned: number;
  readonly rewritten: number;
  /** Rows changed by someone else between read and write; rerun to cover them. */
  readonly conflicts: number;
  /** Key ids of every field seen, current or not. */
  readonly keyIds: readonly string[];
  /** Rows whose fields failed to decrypt or parse (left untouched); the first 100 row ids. */
  readonly failed: number;
  readonly failedRowIds: readonly string[];
  /** True if the pass ran to the end (not aborted). */
  readonly complete: boolean;
}

export interface RewrapFieldsOptions {
  targets: readonly RewrapTarget[];
  fieldCipher: FieldCipher;
  clock?: Clock;
  batchSize?: number;
  onProgress?: (progress: RewrapProgress) => void;
  /** Stops between batches; the report then has complete = false. */
  signal?: AbortSignal;
}

export async function rewrapFields(options: RewrapFieldsOptions): Promise<RewrapReport> {
  const clock = options.clock ?? systemClock;
  const batchSize = options.batchSize ?? 500;
  const startedAt = clock.now();
  const keyIds = new Set<string>();
  let scanned = 0;
  let rewritten = 0;
  let conflicts = 0;
  let failed = 0;
  const failedRowIds: string[] = [];
  const report = (complete: boolean): RewrapReport => ({ startedAt, scanned, rewritten, conflicts, keyIds: [...keyIds].sort(), failed, failedRowIds, complete });

  for (const target of options.targets) {
    const { table } = target;
    const total = await target.count();
    let tableScanned = 0;
    let tableRewritten = 0;
    let after: unknown;
    for (;;) {
      if (options.signal?.aborted) return report(false);
      const rows = await target.scan(after, batchSize);
      if (rows.length === 0) break;
      const updates: RewrapUpdate[] = [];
      for (const row of rows) {
        let next: Record<string, string> | undefined;
        try {
          for (const column of Object.keys(table.columns)) {
            const value = row[column];
            if (typeof value === 'string') keyIds.add(parseTextHeader(value).keyId);
          }
          next = await options.fieldCipher.rewrapRow(table, row);
        } catch (error) {
          // A corrupt or undecryptable field must not stop the job; it is reported, not retried.
          if (!isCryptoError(error)) throw error;
          failed += 1;
          if (failedRowIds.length < 100) failedRowIds.push(String(row[table.rowId]));
          continue;
        }
        if (!next) continue;
        const previous: Record<string, unknown> = {};
        for (const column of Object.keys(next)) previous[column] = row[column] ?? null;
        updates.push({ rowId: row[table.rowId], previous, next });
      }
      const applied = updates.length > 0 ? await target.apply(updates) : 0;
      conflicts += updates.length - applied;
      rewritten += applied;
      tableRewritten += applied;
      scanned += rows.length;
      tableScanned += rows.length;
      after = rows[rows.length - 1]?.[table.rowId];
      options.onProgress?.({ table: table.table, scanned: tableScanned, total, rewritten: tableRewritten });
    }
  }
  return report(true);
}
