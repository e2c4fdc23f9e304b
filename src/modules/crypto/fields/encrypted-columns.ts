/**
 * Declarations of encrypted columns: which columns of a table are encrypted, under which key,
 * as which type, and which carry a blind index. Pure data, validated once; the field cipher
 * (./field-cipher.ts) applies them. Every secret and personal field is declared here.
 */
import { isValidKeyId } from '../envelope/format.js';

export type FieldType = 'string' | 'bytes' | 'json';

export interface EncryptedColumnSpec<Row> {
  /** Key ring id, or a function of the row for per-row keys (e.g. `user.<id>` per user). */
  readonly keyId: string | ((row: Row) => string);
  /** How the plaintext is typed in the row: string (default), Buffer, or JSON value. */
  readonly type?: FieldType;
  /** Equality lookups: the column holding the blind index, and how values are normalised. */
  readonly blindIndex?: { readonly column: string; readonly normalize?: (value: string) => string };
}

export interface EncryptedTableSpec<Row> {
  readonly table: string;
  /** Column whose value identifies the row; known before the insert (app-generated ids). */
  readonly rowId: string;
  readonly columns: Readonly<Record<string, EncryptedColumnSpec<Row>>>;
}

export interface EncryptedTable<Row = Record<string, unknown>> extends EncryptedTableSpec<Row> {
  readonly kind: 'q2.encrypted-table';
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function defineEncryptedColumns<Row = Record<string, unknown>>(spec: EncryptedTableSpec<Row>): EncryptedTable<Row> {
  if (!IDENTIFIER.test(spec.table) || !IDENTIFIER.test(spec.rowId)) throw new TypeError(`invalid table or row id column in ${spec.table}`);
  const names = Object.keys(spec.columns);
  if (names.length === 0) throw new TypeError(`${spec.table}: declare at least one encrypted column`);
  const taken = new Set<string>([spec.rowId]);
  for (const [column, col] of Object.entries(spec.columns)) {
    if (!IDENTIFIER.test(column) || taken.has(column)) throw new TypeError(`${spec.table}.${column}: invalid or duplicate column`);
    taken.add(column);
    if (typeof col.keyId === 'string' && !isValidKeyId(col.keyId)) throw new TypeError(`${spec.table}.${column}: invalid key id`);
    const bidx = col.blindIndex?.column;
    if (bidx !== undefined) {
      if (!IDENTIFIER.test(bidx) || taken.has(bidx)) throw new TypeError(`${spec.table}.${column}: invalid or duplicate blind index column`);
      if ((col.type ?? 'string') !== 'string') throw new TypeError(`${spec.table}.${column}: blind indexes need string columns`);
      taken.add(bidx);
    }
  }
  return Object.freeze({ ...spec, columns: Object.freeze({ ...spec.columns }), kind: 'q2.encrypted-table' as const });
}
