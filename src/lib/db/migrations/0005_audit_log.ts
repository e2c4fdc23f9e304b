/**
 * 0005_audit_log: the tamper-evident audit log of src/modules/audit (docs/audit.md).
 *
 * - `audit_entries`: one row per entry, `seq` gap-free from 0 (= RFC 6962 leaf index), the
 *   pseudonymised fields, `details` as canonical JSON text, the leaf hash and a keyed MAC.
 * - `audit_state`: exactly one row (id 1): tree size, the compact range (right edge of the
 *   Merkle tree) and the last leaf hash. Every batch starts by updating this row, which is the
 *   lock that serialises writers across replicas.
 * - `audit_nodes`: perfect-subtree hashes at levels 8, 16, 24, … (tiles), so proofs never read
 *   more than 128 hashes per component.
 * - `audit_tree_heads`: signed checkpoints.
 *
 * Hash columns are declared `bytea`: PostgreSQL's binary type; SQLite accepts any type name and
 * stores the Buffers as BLOBs.
 */
import type { Kysely, Migration } from 'kysely';

export const auditLog: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('audit_entries')
      .addColumn('seq', 'bigint', (col) => col.primaryKey())
      .addColumn('time', 'bigint', (col) => col.notNull())
      .addColumn('actor', 'text', (col) => col.notNull())
      .addColumn('action', 'text', (col) => col.notNull())
      .addColumn('target', 'text')
      .addColumn('outcome', 'text', (col) => col.notNull())
      .addColumn('ip', 'text')
      .addColumn('request_id', 'text')
      .addColumn('details', 'text', (col) => col.notNull())
      .addColumn('leaf_hash', 'bytea', (col) => col.notNull())
      .addColumn('mac', 'bytea', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('audit_entries_time_idx').on('audit_entries').columns(['time', 'seq']).execute();
    await db.schema.createIndex('audit_entries_actor_idx').on('audit_entries').columns(['actor', 'seq']).execute();
    await db.schema.createIndex('audit_entries_action_idx').on('audit_entries').columns(['action', 'seq']).execute();

    await db.schema
      .createTable('audit_state')
      .addColumn('id', 'bigint', (col) => col.primaryKey())
      .addColumn('size', 'bigint', (col) => col.notNull())
      .addColumn('frontier', 'bytea', (col) => col.notNull())
      .addColumn('last_leaf', 'bytea', (col) => col.notNull())
      .addColumn('updated_at', 'bigint', (col) => col.notNull())
      .execute();
    await (db as Kysely<{ audit_state: { id: bigint; size: bigint; frontier: Buffer; last_leaf: Buffer; updated_at: bigint } }>)
      .insertInto('audit_state')
      .values({ id: 1n, size: 0n, frontier: Buffer.alloc(0), last_leaf: Buffer.alloc(32), updated_at: 0n })
      .execute();

    await db.schema
      .createTable('audit_nodes')
      .addColumn('level', 'bigint', (col) => col.notNull())
      .addColumn('idx', 'bigint', (col) => col.notNull())
      .addColumn('hash', 'bytea', (col) => col.notNull())
      .addPrimaryKeyConstraint('audit_nodes_pk', ['level', 'idx'])
      .execute();

    await db.schema
      .createTable('audit_tree_heads')
      .addColumn('tree_size', 'bigint', (col) => col.primaryKey())
      .addColumn('root_hash', 'bytea', (col) => col.notNull())
      .addColumn('timestamp', 'bigint', (col) => col.notNull())
      .addColumn('origin', 'text', (col) => col.notNull())
      .addColumn('key_id', 'text', (col) => col.notNull())
      .addColumn('signature', 'bytea', (col) => col.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('audit_tree_heads').execute();
    await db.schema.dropTable('audit_nodes').execute();
    await db.schema.dropTable('audit_state').execute();
    await db.schema.dropTable('audit_entries').execute();
  },
};
