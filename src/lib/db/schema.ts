/**
 * The Kysely database type: one interface per table, keyed by table name in `Tables`.
 *
 * Integer convention (docs/storage.md): every integer column is `bigint` in TypeScript and in
 * the migration, on both dialects. Booleans are bigint 0/1 and times are bigint Unix
 * milliseconds; see `./codec.ts` for the conversions. Capabilities add their tables here.
 */

/** `settings`: versioned JSON key/value store (migration 0001_foundation). */
export interface SettingsTable {
  key: string;
  /** JSON text; NULL marks a deleted key (a tombstone that keeps its version counting). */
  value: string | null;
  /** Starts at 1 and increments on every write; the compare-and-swap token. */
  version: bigint;
  /** Unix milliseconds. */
  updated_at: bigint;
}

export interface Tables {
  settings: SettingsTable;
}
