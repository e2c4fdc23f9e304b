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

/** `network_rules` (0006_network): IP allow/deny rules, containment blocks and recidive bans. */
export interface NetworkRulesTable {
  id: string;
  /** 'ip' | 'user' | 'apikey' */
  kind: string;
  /** Canonical CIDR for kind 'ip', else the user or API key id. */
  subject: string;
  /** 'allow' | 'deny' */
  action: string;
  /** 'admin' | 'containment' | 'recidive' */
  source: string;
  reason: string;
  created_by: string;
  created_at: bigint;
  /** Unix ms; NULL = until deleted. */
  expires_at: bigint | null;
}

/** `network_ip_allowlists` (0006_network): per-user / per-API-key trading allowlists. */
export interface NetworkIpAllowlistsTable {
  /** 'user' | 'apikey' */
  subject_kind: string;
  subject_id: string;
  /** JSON array of canonical CIDRs. */
  cidrs: string;
  updated_by: string;
  updated_at: bigint;
}

/** `audit_entries`: one audit log entry (migration 0005_audit_log; src/modules/audit). */
export interface AuditEntriesTable {
  /** Gap-free from 0; the RFC 6962 leaf index. */
  seq: bigint;
  /** Unix ms of the event. */
  time: bigint;
  /** Pseudonymised where personal (docs/audit.md). */
  actor: string;
  action: string;
  target: string | null;
  /** 'success' | 'failure' | 'denied' | 'info' */
  outcome: string;
  /** Always a pseudonym (or NULL). */
  ip: string | null;
  request_id: string | null;
  /** Canonical (RFC 8785) JSON text. */
  details: string;
  /** SHA-256(0x00 ‖ canonical entry), 32 bytes. */
  leaf_hash: Buffer;
  /** HMAC-SHA256(entry MAC key, leaf_hash), 32 bytes. */
  mac: Buffer;
}

/** `audit_state`: the single row (id 1) every audit batch locks and advances (0005_audit_log). */
export interface AuditStateTable {
  id: bigint;
  size: bigint;
  /** Compact range: one 32-byte hash per set bit of `size`, largest subtree first. */
  frontier: Buffer;
  last_leaf: Buffer;
  updated_at: bigint;
}

/** `audit_nodes`: perfect-subtree hashes at levels 8, 16, … for proofs (0005_audit_log). */
export interface AuditNodesTable {
  level: bigint;
  idx: bigint;
  hash: Buffer;
}

/** `audit_tree_heads`: Ed25519-signed checkpoints (0005_audit_log). */
export interface AuditTreeHeadsTable {
  tree_size: bigint;
  root_hash: Buffer;
  /** Unix ms. */
  timestamp: bigint;
  origin: string;
  /** Hex of the 4-byte signed-note key hash. */
  key_id: string;
  signature: Buffer;
}

/** `trading_assets` (0007_trading): ledger assets; `scale` = fractional digits of the minor unit. */
export interface TradingAssetsTable {
  asset: string;
  scale: bigint;
}

/** `trading_instruments` (0007_trading): prices at `price_scale`, quantities in base minor units. */
export interface TradingInstrumentsTable {
  symbol: string;
  base: string;
  quote: string;
  price_scale: bigint;
  tick_size: bigint;
  lot_size: bigint;
  min_qty: bigint;
  max_qty: bigint;
  /** Quote minor units. */
  min_notional: bigint;
  price_band_bps: bigint;
  /** Default per-account limits when an admin set none (quote minor units / base minor units). */
  max_order_notional: bigint;
  max_position: bigint;
  /** 'trading' | 'halted' */
  status: string;
}

/** `trading_balances` (0007_trading): CHECK total >= 0, reserved >= 0, reserved <= total. */
export interface TradingBalancesTable {
  user_id: string;
  asset: string;
  total: bigint;
  reserved: bigint;
  updated_at: bigint;
}

/** `trading_ledger` (0007_trading): append-only journal; Σ amount per account = balance total. */
export interface TradingLedgerTable {
  id: string;
  user_id: string;
  asset: string;
  /** Signed minor units. */
  amount: bigint;
  /** 'deposit' | 'trade' | 'withdrawal' | 'withdrawal-refund' */
  kind: string;
  ref_id: string;
  created_at: bigint;
}

/** `trading_positions` (0007_trading): net traded base quantity per account and symbol (signed). */
export interface TradingPositionsTable {
  user_id: string;
  symbol: string;
  quantity: bigint;
  updated_at: bigint;
}

/** `trading_orders` (0007_trading): every accepted order; `reserved` is what it still holds. */
export interface TradingOrdersTable {
  id: string;
  user_id: string;
  symbol: string;
  client_order_id: string;
  side: string;
  type: string;
  time_in_force: string;
  post_only: bigint;
  price: bigint | null;
  quantity: bigint;
  filled_quantity: bigint;
  reserved: bigint;
  /** 'open' | 'partially_filled' | 'filled' | 'cancelled' | 'expired' */
  status: string;
  /** Time priority within the symbol (unique per symbol). */
  seq: bigint;
  cancel_reason: string | null;
  created_at: bigint;
  updated_at: bigint;
}

/** `trading_fills` (0007_trading): one row per maker/taker match. */
export interface TradingFillsTable {
  id: string;
  symbol: string;
  taker_order_id: string;
  maker_order_id: string;
  taker_user_id: string;
  maker_user_id: string;
  taker_side: string;
  price: bigint;
  quantity: bigint;
  quote_amount: bigint;
  created_at: bigint;
}

/** `trading_risk_limits` (0007_trading): per-account limits as JSON with decimal strings. */
export interface TradingRiskLimitsTable {
  user_id: string;
  limits: string;
  updated_by: string;
  updated_at: bigint;
}

/** `trading_kill_switches` (0007_trading): scope 'global' (target '') | 'user' | 'symbol'. */
export interface TradingKillSwitchesTable {
  scope: string;
  target: string;
  /** Boolean 0/1. */
  engaged: bigint;
  reason: string;
  updated_by: string;
  updated_at: bigint;
}

/** `trading_reference_prices` (0007_trading): admin-set fallback reference (decimal string). */
export interface TradingReferencePricesTable {
  symbol: string;
  price: string;
  updated_by: string;
  updated_at: bigint;
}

/** `trading_book_leases` (0007_trading): which replica owns a symbol's book; `fence` only grows. */
export interface TradingBookLeasesTable {
  symbol: string;
  owner: string;
  fence: bigint;
  expires_at: bigint;
}

/** `withdrawal_addresses` (0007_trading): allowlisted addresses, encrypted under the user's key. */
export interface WithdrawalAddressesTable {
  id: string;
  user_id: string;
  asset: string;
  address_ciphertext: string;
  /** Blind index of asset + address, for lookup without decrypting. */
  address_index: string;
  label: string;
  created_at: bigint;
  /** End of the cooling-off period. */
  activates_at: bigint;
  removed_at: bigint | null;
}

/** `trading_deposits` (0012): admin deposits by idempotency key (`depositId`), with the balance after. */
export interface TradingDepositsTable {
  id: string;
  user_id: string;
  asset: string;
  amount: bigint;
  reason: string;
  created_by: string;
  balance_total: bigint;
  balance_reserved: bigint;
  created_at: bigint;
}

/** `withdrawals` (0007_trading, 0012, 0013): a ledger debit in state 'held' | 'pending' | 'sent' | 'rejected' | 'failed'. */
export interface WithdrawalsTable {
  id: string;
  user_id: string;
  asset: string;
  amount: bigint;
  address_id: string;
  status: string;
  /** 'allow' | 'hold' | 'not-configured' */
  screening: string;
  /** JSON array of strings. */
  screening_reasons: string;
  hold_reason: string | null;
  reviewed_by: string | null;
  tx_ref: string | null;
  /** 0012: the reviewer's reason for a rejection, or why the payout failed. */
  status_reason: string | null;
  created_at: bigint;
  updated_at: bigint;
  /** 0013: payout attempts claimed so far (the compare-and-swap token of the next claim). */
  payout_attempts: bigint;
  /** 0013: unix ms when the next automatic payout attempt is due; null = none scheduled. */
  payout_next_at: bigint | null;
  /** 0013: unix ms when the last attempt failed and the withdrawal was left for manual handling. */
  payout_flagged_at: bigint | null;
}

/** `marketdata_sources` (0008_marketdata): registered price sources; revoked rows are kept. */
export interface MarketdataSourcesTable {
  source_id: string;
  /** Ed25519 SubjectPublicKeyInfo PEM. */
  public_key: string;
  /** JSON array of the symbols the source may publish. */
  symbols: string;
  /** 'active' | 'revoked' */
  status: string;
  created_by: string;
  created_at: bigint;
  revoked_by: string | null;
  revoked_at: bigint | null;
}

/** `marketdata_symbols` (0008_marketdata): per-symbol feed policy (JSON), versioned. */
export interface MarketdataSymbolsTable {
  symbol: string;
  policy: string;
  version: bigint;
  updated_by: string;
  updated_at: bigint;
}

/** `marketdata_halts` (0008_marketdata): one row per halted symbol. */
export interface MarketdataHaltsTable {
  symbol: string;
  halt_id: string;
  /** 'quorum_lost' | 'divergence' | 'jump' */
  reason: string;
  /** JSON object. */
  details: string;
  created_by: string;
  created_at: bigint;
}

/** `api_keys` (0009_api_keys; src/modules/apikeys): keys for RFC 9421 signed requests. */
export interface ApiKeysTable {
  key_id: string;
  user_id: string;
  label: string;
  /** 'ed25519' | 'hmac-sha256' */
  algorithm: string;
  /** SubjectPublicKeyInfo PEM of an ed25519 key; NULL for hmac-sha256. */
  public_key: string | null;
  /** FieldProtector ciphertext of an hmac-sha256 secret (AAD api_keys|secret_ciphertext|key_id); NULL once revoked. */
  secret_ciphertext: string | null;
  /** JSON array of 'read' | 'trade' | 'withdraw'. */
  scopes: string;
  /** JSON array of canonical CIDRs; empty = any address. */
  ip_allowlist: string;
  created_at: bigint;
  expires_at: bigint | null;
  revoked_at: bigint | null;
  revoked_reason: string | null;
}

/** `detection_alerts` (0010_detection_alerts; src/modules/detection): one row per rule hit. */
export interface DetectionAlertsTable {
  id: string;
  rule_id: string;
  rule_version: bigint;
  /** 'low' | 'medium' | 'high' | 'critical' */
  severity: string;
  title: string;
  group_key: string;
  /** JSON array of EventSummary (the triggering events, at most 20). */
  events: string;
  created_at: bigint;
  acked_at: bigint | null;
  acked_by: string | null;
}

/** `incidents` (0011_incidents; src/modules/incidents): one row per incident. */
export interface IncidentsTable {
  id: string;
  title: string;
  /** 'low' | 'medium' | 'high' | 'critical' */
  severity: string;
  /** 'detected' | 'contained' | 'investigating' | 'recovered' | 'closed' */
  status: string;
  /** A user id, or 'system' for incidents opened from alerts. */
  opened_by: string;
  /** JSON array of detection alert ids. */
  source_alert_ids: string;
  dedup_key: string | null;
  detected_at: bigint;
  opened_at: bigint;
  contained_at: bigint | null;
  recovered_at: bigint | null;
  closed_at: bigint | null;
  lessons_learned: string | null;
  updated_at: bigint;
}

/** `incident_steps` (0011_incidents): every transition and containment action, append-only. */
export interface IncidentStepsTable {
  id: string;
  incident_id: string;
  at: bigint;
  actor: string;
  /** 'opened' | 'alert' | 'transition' | 'action' */
  kind: string;
  what: string;
  target: string | null;
  /** 'success' | 'failure' | 'skipped' | 'info' */
  result: string;
  /** JSON object. */
  details: string;
}

/** `incident_open_keys` (0011_incidents): (rule, group) pairs with an incident not yet closed. */
export interface IncidentOpenKeysTable {
  dedup_key: string;
  incident_id: string;
}

/** `vulnerabilities` (0011_incidents): found/remediated times for the remediation KPI. */
export interface VulnerabilitiesTable {
  id: string;
  severity: string;
  title: string;
  found_at: bigint;
  remediated_at: bigint | null;
  recorded_by: string;
  updated_at: bigint;
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
  network_rules: NetworkRulesTable;
  network_ip_allowlists: NetworkIpAllowlistsTable;
  audit_entries: AuditEntriesTable;
  audit_state: AuditStateTable;
  audit_nodes: AuditNodesTable;
  audit_tree_heads: AuditTreeHeadsTable;
  trading_assets: TradingAssetsTable;
  trading_instruments: TradingInstrumentsTable;
  trading_balances: TradingBalancesTable;
  trading_ledger: TradingLedgerTable;
  trading_positions: TradingPositionsTable;
  trading_orders: TradingOrdersTable;
  trading_fills: TradingFillsTable;
  trading_risk_limits: TradingRiskLimitsTable;
  trading_kill_switches: TradingKillSwitchesTable;
  trading_reference_prices: TradingReferencePricesTable;
  trading_book_leases: TradingBookLeasesTable;
  withdrawal_addresses: WithdrawalAddressesTable;
  withdrawals: WithdrawalsTable;
  trading_deposits: TradingDepositsTable;
  marketdata_sources: MarketdataSourcesTable;
  marketdata_symbols: MarketdataSymbolsTable;
  marketdata_halts: MarketdataHaltsTable;
  api_keys: ApiKeysTable;
  detection_alerts: DetectionAlertsTable;
  incidents: IncidentsTable;
  incident_steps: IncidentStepsTable;
  incident_open_keys: IncidentOpenKeysTable;
  vulnerabilities: VulnerabilitiesTable;
}
