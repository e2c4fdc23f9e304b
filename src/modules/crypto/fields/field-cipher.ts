/**
 * Transparent field encryption for repositories: `encryptRow` before a write, `decryptRow`
 * after a read, using the declarations of ./encrypted-columns.ts. Each field is a text envelope
 * whose authenticated context is { table, column, row }, so a ciphertext copied to another row
 * or column does not decrypt. Row ids must be known before the insert (app-generated ids), and
 * per-row key functions may only read unencrypted columns (they run on stored rows too).
 */
import type { SymmetricEncryption } from '../envelope/symmetric-encryption.js';
import type { KeyManager } from '../keys/key-manager.js';
import { cryptoError } from '../errors.js';
import { zeroize } from '../primitives/bytes.js';
import type { BlindIndex } from './blind-index.js';
import type { EncryptedColumnSpec, EncryptedTable, FieldType } from './encrypted-columns.js';

type StoredRow = Record<string, unknown>;

export interface FieldCipher {
  /** A copy of `row` with declared columns encrypted and blind indexes filled in. */
  encryptRow<Row extends object>(table: EncryptedTable<Row>, row: Row): Promise<StoredRow>;
  /** A copy of `stored` with declared columns decrypted to their declared types. */
  decryptRow<Row extends object>(table: EncryptedTable<Row>, stored: StoredRow): Promise<Row>;
  /** Blind index values to match `value` against (`WHERE <index column> IN (…)`). */
  lookup<Row extends object>(table: EncryptedTable<Row>, column: string, value: string): Promise<string[]>;
  /**
   * The column values that bring `stored` up to the primary key versions (fields re-encrypted,
   * blind indexes recomputed), or undefined if it is current. Plaintext never leaves the cipher.
   */
  rewrapRow<Row extends object>(table: EncryptedTable<Row>, stored: StoredRow): Promise<Record<string, string> | undefined>;
}

export interface FieldCipherOptions {
  symmetric: SymmetricEncryption;
  keyManager: KeyManager;
  /** Required when a declaration uses blind indexes. */
  blindIndex?: BlindIndex;
}

function encode(type: FieldType, value: unknown, where: string): Buffer {
  if (type === 'bytes') {
    if (!(value instanceof Uint8Array)) throw new TypeError(`${where}: expected bytes`);
    return Buffer.from(value);
  }
  if (type === 'json') return Buffer.from(JSON.stringify(value), 'utf8');
  if (typeof value !== 'string') throw new TypeError(`${where}: expected a string`);
  return Buffer.from(value, 'utf8');
}

function decode(type: FieldType, bytes: Buffer): unknown {
  if (type === 'bytes') return bytes;
  try {
    const text = bytes.toString('utf8');
    return type === 'json' ? JSON.parse(text) : text;
  } finally {
    zeroize(bytes);
  }
}

export function createFieldCipher(options: FieldCipherOptions): FieldCipher {
  const { symmetric, keyManager, blindIndex } = options;

  const rowIdOf = (table: EncryptedTable<never>, row: object): string => {
    const id = (row as StoredRow)[table.rowId];
    if (typeof id !== 'string' && typeof id !== 'number' && typeof id !== 'bigint') throw new TypeError(`${table.table}: row id missing`);
    const text = String(id);
    if (text.length === 0) throw new TypeError(`${table.table}: row id missing`);
    return text;
  };
  const keyIdOf = <Row>(spec: EncryptedColumnSpec<Row>, row: object) =>
    typeof spec.keyId === 'string' ? spec.keyId : spec.keyId(row as Row);
  // Keys in sorted order, so the AAD encoder need not sort them.
  const context = (table: EncryptedTable<never>, column: string, row: object) => ({ column, row: rowIdOf(table, row), table: table.table });
  const index = (): BlindIndex => {
    if (!blindIndex) throw new TypeError('this declaration uses blind indexes: pass blindIndex to createFieldCipher');
    return blindIndex;
  };
  const indexOf = async (table: EncryptedTable<never>, column: string, spec: EncryptedColumnSpec<never>, plain: string) =>
    index().compute(`${table.table}.${column}`, (spec.blindIndex?.normalize ?? ((v: string) => v))(plain));

  return {
    async encryptRow(table, row) {
      const out: StoredRow = { ...(row as StoredRow) };
      for (const [column, spec] of Object.entries(table.columns)) {
        const value = (row as StoredRow)[column];
        if (value === null || value === undefined) {
          if (spec.blindIndex) out[spec.blindIndex.column] = null;
          continue;
        }
        const ctx = context(table as EncryptedTable<never>, column, row);
        const bytes = encode(spec.type ?? 'string', value, `${table.table}.${column}`);
        try {
          out[column] = await symmetric.encrypt(bytes, { context: ctx, keyId: keyIdOf(spec, row) });
        } finally {
          zeroize(bytes);
        }
        if (spec.blindIndex) out[spec.blindIndex.column] = await indexOf(table as EncryptedTable<never>, column, spec as EncryptedColumnSpec<never>, value as string);
      }
      return out;
    },
    async decryptRow<Row extends object>(table: EncryptedTable<Row>, stored: StoredRow) {
      const out: StoredRow = { ...stored };
      for (const [column, spec] of Object.entries(table.columns)) {
        const value = stored[column];
        if (value === null || value === undefined) continue;
        if (typeof value !== 'string') throw cryptoError('CRYPTO_FORMAT_INVALID');
        const ctx = context(table as EncryptedTable<never>, column, stored);
        const bytes = await symmetric.decrypt(value, { context: ctx, keyId: keyIdOf(spec, stored) });
        out[column] = decode(spec.type ?? 'string', bytes);
      }
      return out as Row;
    },
    async lookup(table, column, value) {
      const spec = table.columns[column];
      if (!spec?.blindIndex) throw new TypeError(`${table.table}.${column} has no blind index`);
      return index().candidates(`${table.table}.${column}`, (spec.blindIndex.normalize ?? ((v: string) => v))(value));
    },
    async rewrapRow(table, stored) {
      const next: Record<string, string> = {};
      for (const [column, spec] of Object.entries(table.columns)) {
        const value = stored[column];
        if (value === null || value === undefined) continue;
        if (typeof value !== 'string') throw cryptoError('CRYPTO_FORMAT_INVALID');
        const header = symmetric.header(value);
        const fieldStale = header.version < (await keyManager.primaryVersion(header.keyId));
        const storedIndex = spec.blindIndex ? stored[spec.blindIndex.column] : undefined;
        const indexStale =
          spec.blindIndex !== undefined &&
          (typeof storedIndex !== 'string' || index().versionOf(storedIndex) < (await index().primaryVersion()));
        if (!fieldStale && !indexStale) continue;
        const ctx = context(table as EncryptedTable<never>, column, stored);
        const sealOptions = { context: ctx, keyId: keyIdOf(spec, stored) };
        if (!indexStale) {
          next[column] = await symmetric.rewrap(value, sealOptions);
          continue;
        }
        const plain = await symmetric.decrypt(value, sealOptions);
        try {
          if (fieldStale) next[column] = await symmetric.encrypt(plain, sealOptions);
          next[(spec.blindIndex as { column: string }).column] = await indexOf(table as EncryptedTable<never>, column, spec as EncryptedColumnSpec<never>, plain.toString('utf8'));
        } finally {
          zeroize(plain);
        }
      }
      return Object.keys(next).length > 0 ? next : undefined;
    },
  };
}
