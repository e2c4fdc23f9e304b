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

/** `crypto_keys`: one row per key ring key (migration 0002_key_ring; src/modules/crypto). */
export interface CryptoKeysTable {
  key_id: string;
  primary_version: bigint;
  min_decryption_version: bigint;
  /** Unix milliseconds. */
  created_at: bigint;
  /** Unix milliseconds; set once the key was destroyed (crypto-shredding). */
  destroyed_at: bigint | null;
}

/** `crypto_key_versions`: one row per key version with its wrapped data key (0002_key_ring). */
export interface CryptoKeyVersionsTable {
  key_id: string;
  version: bigint;
  /** 'active' | 'decrypt-only' | 'retired' */
  state: string;
  /** 'A256KWP' */
  wrap_alg: string;
  /** 'local' | 'pkcs11' */
  kek_provider: string;
  kek_label: string;
  kek_version: bigint;
  /** base64url of the wrapped DEK. */
  wrapped_dek: string;
  created_at: bigint;
  demoted_at: bigint | null;
  usage_count: bigint;
}

/** `users` (0003_identity): email is a ciphertext plus a keyed blind index; roles is a JSON array. */
export interface UsersTable {
  id: string;
  email_ciphertext: string;
  email_index: string;
  /** For SMS OTP; null until the user sets one. */
  phone_ciphertext: string | null;
  password_hash: string;
  roles: string;
  /** 'active' | 'locked' */
  status: string;
  created_at: bigint;
  password_changed_at: bigint;
}

/** `sessions` (0003_identity): one login; refresh-token family = session. */
export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: bigint;
  /** Absolute timeout. */
  expires_at: bigint;
  last_seen_at: bigint;
  revoked_at: bigint | null;
  revoked_reason: string | null;
  /** JSON array of RFC 8176 method references. */
  amr: string;
  auth_time: bigint;
  ip_ciphertext: string | null;
  user_agent_ciphertext: string | null;
}

/** `refresh_tokens` (0003_identity): SHA-256 of each opaque token; `used_at` set on rotation. */
export interface RefreshTokensTable {
  token_hash: string;
  session_id: string;
  created_at: bigint;
  expires_at: bigint;
  used_at: bigint | null;
}

/** `jwt_signing_keys` (0003_identity): private JWK encrypted under the key ring. */
export interface JwtSigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  private_ciphertext: string;
  created_at: bigint;
  sign_until: bigint;
  verify_until: bigint;
}

/** `mfa_totp`: one TOTP secret per user (migration 0004_mfa; src/modules/mfa). */
export interface MfaTotpTable {
  user_id: string;
  /** FieldProtector ciphertext of the base32 secret (AAD: mfa_totp|secret|user_id). */
  secret_ciphertext: string;
  created_at: bigint;
  /** NULL while enrollment awaits its first valid code. */
  confirmed_at: bigint | null;
}

/** `mfa_backup_codes`: Argon2id hashes of one-time recovery codes (0004_mfa). */
export interface MfaBackupCodesTable {
  id: string;
  user_id: string;
  /** Public lookup prefix of the code (unique per user). */
  tag: string;
  code_hash: string;
  created_at: bigint;
  used_at: bigint | null;
}

/** `mfa_webauthn_credentials`: passkeys (0004_mfa). */
export interface MfaWebauthnCredentialsTable {
  /** base64url credential id. */
  credential_id: string;
  user_id: string;
  /** base64url WebAuthn user handle (random, not the user id). */
  user_handle: string;
  /** base64url COSE public key. */
  public_key: string;
  counter: bigint;
  /** JSON array of transports. */
  transports: string;
  /** 'singleDevice' | 'multiDevice' */
  device_type: string;
  /** Boolean 0/1. */
  backed_up: bigint;
  aaguid: string;
  created_at: bigint;
  last_used_at: bigint | null;
}

export interface Tables {
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  jwt_signing_keys: JwtSigningKeysTable;
  settings: SettingsTable;
  crypto_keys: CryptoKeysTable;
  crypto_key_versions: CryptoKeyVersionsTable;
  mfa_totp: MfaTotpTable;
  mfa_backup_codes: MfaBackupCodesTable;
  mfa_webauthn_credentials: MfaWebauthnCredentialsTable;
}
