/**
 * Declarations of the encrypted columns that `q2 keys rewrap` moves to the newest key versions.
 * Each declaration must match how the owning repository encrypts: context = { table, column =
 * the database column, row = the row id }, and the same key id.
 *
 * Not declared yet (their rows keep decrypting under older versions until they are rewritten,
 * and `--retire` leaves their keys alone): sessions (key id depends on `user_id`, which the
 * rewrap scan does not read), MFA secrets, withdrawal addresses.
 */
import { defineEncryptedColumns } from '../modules/crypto/index.js';
import { normaliseEmail } from '../modules/identity/accounts/user-repository.js';
import { PLATFORM_FIELD_KEY } from './crypto-wiring.js';

type Row = Record<string, unknown>;
const userKey = (row: Row) => `user.${String(row.id)}`;

export const ENCRYPTED_TABLES = [
  defineEncryptedColumns<Row>({
    table: 'users',
    rowId: 'id',
    columns: {
      email_ciphertext: { keyId: userKey, blindIndex: { column: 'email_index', normalize: normaliseEmail } },
      phone_ciphertext: { keyId: userKey },
    },
  }),
  defineEncryptedColumns<Row>({
    table: 'api_keys',
    rowId: 'key_id',
    columns: { secret_ciphertext: { keyId: PLATFORM_FIELD_KEY } },
  }),
  defineEncryptedColumns<Row>({
    table: 'jwt_signing_keys',
    rowId: 'kid',
    columns: { private_ciphertext: { keyId: PLATFORM_FIELD_KEY } },
  }),
];
