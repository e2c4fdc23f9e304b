/**
 * The one registry of error codes and the only place that maps a code to an HTTP status.
 * SPEC §2: codes are stable upper-snake strings; extend, never rename. Every code here must be
 * documented in docs/errors.md (a test enforces it).
 */
export const ERROR_CODES = {
  // Core (SPEC §2)
  VALIDATION_FAILED: { status: 400, title: 'Request validation failed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  IP_BLOCKED: { status: 403, title: 'Client address blocked' },
  CSRF_FAILED: { status: 403, title: 'CSRF token missing or invalid' },
  AUTH_INVALID_CREDENTIALS: { status: 401, title: 'Invalid credentials' },
  AUTH_ACCOUNT_LOCKED: { status: 423, title: 'Account temporarily locked' },
  AUTH_MFA_REQUIRED: { status: 401, title: 'Multi-factor authentication required' },
  AUTH_MFA_INVALID: { status: 401, title: 'Invalid multi-factor code' },
  AUTH_STEP_UP_REQUIRED: { status: 403, title: 'Recent multi-factor authentication required' },
  AUTH_TOKEN_EXPIRED: { status: 401, title: 'Token expired' },
  AUTH_TOKEN_INVALID: { status: 401, title: 'Token invalid' },
  AUTH_TOKEN_REVOKED: { status: 401, title: 'Token revoked' },
  AUTH_REFRESH_REUSED: { status: 401, title: 'Refresh token reused' },
  AUTH_SESSION_LIMIT: { status: 409, title: 'Too many concurrent sessions' },
  PASSWORD_POLICY: { status: 400, title: 'Password does not meet policy' },
  SIGNATURE_MISSING: { status: 401, title: 'Request signature missing' },
  SIGNATURE_INVALID: { status: 401, title: 'Request signature invalid' },
  SIGNATURE_EXPIRED: { status: 401, title: 'Request signature outside the allowed window' },
  REPLAY_DETECTED: { status: 401, title: 'Replayed request' },
  APIKEY_SCOPE_FORBIDDEN: { status: 403, title: 'API key lacks the required scope' },
  APIKEY_IP_FORBIDDEN: { status: 403, title: 'API key not allowed from this address' },
  APIKEY_EXPIRED: { status: 403, title: 'API key expired' },
  ORDER_INVALID: { status: 400, title: 'Order invalid' },
  ORDER_DUPLICATE: { status: 409, title: 'Duplicate client order id' },
  RISK_MAX_QTY: { status: 422, title: 'Order quantity above limit' },
  RISK_MAX_NOTIONAL: { status: 422, title: 'Order notional above limit' },
  RISK_PRICE_BAND: { status: 422, title: 'Order price outside the price band' },
  RISK_INSUFFICIENT_BALANCE: { status: 422, title: 'Insufficient available balance' },
  RISK_POSITION_LIMIT: { status: 422, title: 'Position limit exceeded' },
  RISK_ORDER_RATE: { status: 429, title: 'Order rate limit exceeded' },
  RISK_SELF_TRADE: { status: 422, title: 'Order would trade against own order' },
  RISK_KILL_SWITCH: { status: 403, title: 'Kill switch engaged' },
  MARKET_HALTED: { status: 503, title: 'Market halted' },
  PRICE_STALE: { status: 503, title: 'Reference price stale' },
  SANCTIONS_HIT: { status: 403, title: 'Sanctions screening match' },
  KYC_REQUIRED: { status: 403, title: 'KYC level insufficient' },
  SERVICE_OVERLOADED: { status: 503, title: 'Service overloaded' },

  // Platform extensions (HTTP edge)
  MALFORMED_BODY: { status: 400, title: 'Request body is not valid JSON' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request timed out' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request headers too large' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  DEPENDENCY_UNAVAILABLE: { status: 503, title: 'A backing service is unavailable' },

  // Crypto (src/modules/crypto): stored-data failures are 5xx, caller-supplied key material 4xx.
  CRYPTO_DECRYPT_FAILED: { status: 500, title: 'Decryption failed' },
  CRYPTO_FORMAT_INVALID: { status: 500, title: 'Ciphertext format invalid' },
  CRYPTO_KEY_UNKNOWN: { status: 500, title: 'Encryption key or version unknown' },
  CRYPTO_KEY_RETIRED: { status: 500, title: 'Encryption key version retired' },
  CRYPTO_KEY_DESTROYED: { status: 410, title: 'Encryption key destroyed' },
  CRYPTO_ROTATION_REQUIRED: { status: 503, title: 'Key usage limit reached; rotation required' },
  CRYPTO_RETIRE_UNSAFE: { status: 409, title: 'Key version cannot be retired yet' },
  CRYPTO_KEK_UNAVAILABLE: { status: 503, title: 'Key-encryption key unavailable' },
  CRYPTO_KEY_INVALID: { status: 400, title: 'Key material invalid' },

  // Multi-factor authentication (src/modules/mfa) and notifications (src/lib/notify).
  MFA_ALREADY_ENROLLED: { status: 409, title: 'Multi-factor method already enrolled' },
  MFA_METHOD_UNAVAILABLE: { status: 400, title: 'Multi-factor method not available' },
  MFA_CREDENTIAL_LIMIT: { status: 409, title: 'Too many registered passkeys' },
  NOTIFY_DELIVERY_FAILED: { status: 502, title: 'Message could not be delivered' },

  // Network protection (src/modules/network).
  CLIENT_BANNED: { status: 429, title: 'Temporarily banned after repeated rate-limit violations' },
  IP_RULE_SELF_BLOCK: { status: 409, title: 'The rule would block the requesting administrator' },

  // Audit log (src/modules/audit).
  AUDIT_RANGE_INVALID: { status: 400, title: 'Tree size or sequence number outside the audit log' },
  AUDIT_LOG_CORRUPT: { status: 500, title: 'Stored audit data is inconsistent' },
  AUDIT_UNAVAILABLE: { status: 503, title: 'The audit log cannot accept entries' },

  // Trading core (src/modules/trading).
  ORDER_POST_ONLY_REJECTED: { status: 422, title: 'Post-only order would take liquidity' },
  ORDER_NOT_OPEN: { status: 409, title: 'Order is no longer open' },
  ASSET_UNKNOWN: { status: 400, title: 'Unknown asset' },
  TRADING_OWNER_UNAVAILABLE: { status: 503, title: 'The matching engine for this symbol is unavailable' },
  WITHDRAWAL_ADDRESS_NOT_ALLOWED: { status: 403, title: 'Withdrawal address not on the allowlist' },
  WITHDRAWAL_ADDRESS_COOLING_OFF: { status: 403, title: 'Withdrawal address still in its cooling-off period' },
  WITHDRAWAL_ADDRESS_EXISTS: { status: 409, title: 'Withdrawal address already on the allowlist' },
  WITHDRAWAL_NOT_REVIEWABLE: { status: 409, title: 'Withdrawal is not awaiting review' },
  WITHDRAWAL_NOT_PENDING: { status: 409, title: 'Withdrawal is not awaiting payout' },
  WITHDRAWAL_FOUR_EYES: { status: 403, title: 'Another person must take this withdrawal decision (four-eyes rule)' },
  DEPOSIT_ID_REUSED: { status: 409, title: 'Deposit id already used for a different deposit' },

  // API keys and signed requests (src/modules/apikeys, src/modules/signing).
  APIKEY_LIMIT: { status: 409, title: 'Too many API keys' },

  // Market-data integrity (src/modules/marketdata).
  PRICE_SOURCE_UNKNOWN: { status: 401, title: 'Unknown or revoked price source' },
  PRICE_SIGNATURE_INVALID: { status: 401, title: 'Price update signature invalid' },
  PRICE_SYMBOL_FORBIDDEN: { status: 403, title: 'Price source may not publish this symbol' },
  PRICE_TIMESTAMP_STALE: { status: 422, title: 'Price update timestamp too old' },
  PRICE_TIMESTAMP_FUTURE: { status: 422, title: 'Price update timestamp in the future' },
  PRICE_SEQUENCE_REPLAYED: { status: 409, title: 'Price update sequence not increasing' },
  PRICE_OUT_OF_BOUNDS: { status: 422, title: 'Price outside the allowed bounds' },
  PRICE_SOURCE_EXISTS: { status: 409, title: 'Price source id already used' },
  PRICE_SYMBOL_UNCONFIGURED: { status: 422, title: 'Symbol has no market-data policy' },
  MARKET_NOT_HALTED: { status: 409, title: 'Symbol has no halt to lift' },
  // Detection and alerts (src/modules/detection)
  ALERT_NOT_FOUND: { status: 404, title: 'Alert not found' },
  EVENT_STREAM_LIMIT: { status: 429, title: 'Too many open event streams' },
  // Incident response (src/modules/incidents)
  INCIDENT_NOT_FOUND: { status: 404, title: 'Incident not found' },
  INCIDENT_TRANSITION_INVALID: { status: 409, title: 'Incident status transition not allowed' },
  INCIDENT_LESSONS_REQUIRED: { status: 422, title: 'Closing an incident requires lessons learned' },
  INCIDENT_STATUS_CONFLICT: { status: 409, title: 'Incident changed concurrently' },
  INCIDENT_CLOSED: { status: 409, title: 'Incident is closed' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}
