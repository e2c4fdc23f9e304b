/**
 * Wire types of the Q2 API (SPEC §4, §5) as a client sees them. Amounts and prices are decimal
 * strings (`"0.015"`), never numbers; times are RFC 3339 strings. Declared here rather than
 * imported, so the SDK carries no server code.
 */

/** A decimal number as a string, e.g. `"42000.50"`. */
export type Decimal = string;

export type ApiKeyScope = 'read' | 'trade' | 'withdraw';

export interface NewApiKey {
  label: string;
  scopes: ApiKeyScope[];
  /** IPv4/IPv6 addresses or CIDRs; empty = any address (not allowed with `withdraw`). */
  ipAllowlist: string[];
  /** RFC 3339. */
  expiresAt?: string;
  algorithm: 'ed25519' | 'hmac-sha256';
  /** Ed25519 SubjectPublicKeyInfo PEM; the private key never leaves the client. */
  publicKey?: string;
}

export interface ApiKeyInfo {
  keyId: string;
  label: string;
  scopes: ApiKeyScope[];
  ipAllowlist: string[];
  expiresAt: string | null;
  algorithm: 'ed25519' | 'hmac-sha256';
  createdAt: string;
}

export interface CreatedApiKeyInfo extends ApiKeyInfo {
  /** hmac-sha256 only: base64, shown this once. */
  secret?: string;
}

export interface Instrument {
  symbol: string;
  base: string;
  quote: string;
  tickSize: Decimal;
  lotSize: Decimal;
  minQty: Decimal;
  maxQty: Decimal;
  minNotional: Decimal;
  priceBandPct: Decimal;
  status: string;
}

export interface NewOrder {
  /** Idempotency key, unique per account: the same id is never executed twice. */
  clientOrderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'limit' | 'market';
  quantity: Decimal;
  price?: Decimal;
  timeInForce: 'GTC' | 'IOC' | 'FOK';
  postOnly?: boolean;
}

export interface Fill {
  tradeId: string;
  price: Decimal;
  quantity: Decimal;
  liquidity: 'maker' | 'taker';
  time: string;
}

export interface Order {
  orderId: string;
  clientOrderId: string;
  symbol: string;
  side: string;
  type: string;
  timeInForce: string;
  postOnly: boolean;
  price: Decimal | null;
  quantity: Decimal;
  filledQuantity: Decimal;
  remainingQuantity: Decimal;
  status: string;
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
  fills: Fill[];
}

export interface OrderQuery {
  status?: 'open' | 'closed';
  symbol?: string;
  limit?: number;
}

export interface Balance {
  asset: string;
  total: Decimal;
  available: Decimal;
  reserved: Decimal;
}

export interface Position {
  symbol: string;
  /** Signed: negative is short. */
  quantity: Decimal;
}
