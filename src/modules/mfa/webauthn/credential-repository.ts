/**
 * `mfa_webauthn_credentials` rows. Registration inserts with ON CONFLICT DO NOTHING, so a
 * credential id can never be re-bound to another account. The signature counter advances by
 * compare-and-swap (`WHERE counter = <value read>`): of two assertions verified against the
 * same stored counter only one is recorded.
 */
import type { Database } from '../../../lib/db/index.js';
import { fromDbBool, fromDbTime, toDbBool, toDbTime } from '../../../lib/db/index.js';

export interface StoredCredential {
  credentialId: string;
  userId: string;
  userHandle: string;
  publicKey: Uint8Array<ArrayBuffer>;
  counter: number;
  transports: string[];
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  aaguid: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface CredentialRepository {
  /** False when the credential id is already registered (to anyone). */
  insert(credential: StoredCredential): Promise<boolean>;
  get(credentialId: string): Promise<StoredCredential | null>;
  listByUser(userId: string): Promise<StoredCredential[]>;
  advanceCounter(credentialId: string, expected: number, next: number, now: number): Promise<boolean>;
  remove(userId: string, credentialId: string): Promise<boolean>;
  removeAll(userId: string): Promise<void>;
}

type Row = {
  credential_id: string; user_id: string; user_handle: string; public_key: string; counter: bigint; transports: string;
  device_type: string; backed_up: bigint; aaguid: string; created_at: bigint; last_used_at: bigint | null;
};

function fromRow(row: Row): StoredCredential {
  return {
    credentialId: row.credential_id,
    userId: row.user_id,
    userHandle: row.user_handle,
    publicKey: new Uint8Array(Buffer.from(row.public_key, 'base64url')),
    counter: Number(row.counter),
    transports: JSON.parse(row.transports) as string[],
    deviceType: row.device_type === 'multiDevice' ? 'multiDevice' : 'singleDevice',
    backedUp: fromDbBool(row.backed_up),
    aaguid: row.aaguid,
    createdAt: fromDbTime(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : fromDbTime(row.last_used_at),
  };
}

export function createCredentialRepository(db: Database): CredentialRepository {
  const { kysely } = db;
  return {
    async insert(c) {
      const row = await kysely.insertInto('mfa_webauthn_credentials').values({
        credential_id: c.credentialId,
        user_id: c.userId,
        user_handle: c.userHandle,
        public_key: Buffer.from(c.publicKey).toString('base64url'),
        counter: BigInt(c.counter),
        transports: JSON.stringify(c.transports),
        device_type: c.deviceType,
        backed_up: toDbBool(c.backedUp),
        aaguid: c.aaguid,
        created_at: toDbTime(c.createdAt),
        last_used_at: null,
      }).onConflict((oc) => oc.column('credential_id').doNothing()).returning('credential_id').executeTakeFirst();
      return row !== undefined;
    },
    async get(credentialId) {
      const row = await kysely.selectFrom('mfa_webauthn_credentials').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
      return row === undefined ? null : fromRow(row);
    },
    async listByUser(userId) {
      const rows = await kysely.selectFrom('mfa_webauthn_credentials').selectAll().where('user_id', '=', userId)
        .orderBy('created_at').orderBy('credential_id').execute();
      return rows.map(fromRow);
    },
    async advanceCounter(credentialId, expected, next, now) {
      const result = await kysely.updateTable('mfa_webauthn_credentials')
        .set({ counter: BigInt(next), last_used_at: toDbTime(now) })
        .where('credential_id', '=', credentialId).where('counter', '=', BigInt(expected)).executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    async remove(userId, credentialId) {
      const result = await kysely.deleteFrom('mfa_webauthn_credentials')
        .where('credential_id', '=', credentialId).where('user_id', '=', userId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async removeAll(userId) {
      await kysely.deleteFrom('mfa_webauthn_credentials').where('user_id', '=', userId).execute();
    },
  };
}
