/**
 * The typed Q2 client. Every attempt is authenticated afresh (an API key signs with RFC 9421:
 * new `created`, new nonce, Content-Digest of the exact bytes sent), and only what is safe to
 * repeat is retried (retry.ts). A placement retried after a lost answer may meet its own first
 * attempt as `ORDER_DUPLICATE`; the client then returns that recorded order instead of failing.
 */
import { authorizerFor, type Credentials } from './credentials.js';
import { Q2ApiError, problemOf } from './errors.js';
import { DEFAULT_RETRY, parseRetryAfter, retryDelay, type AttemptOutcome, type RetryPolicy } from './retry.js';
import { TransportError, nodeTransport, type NodeTransportOptions, type Transport, type TransportResponse } from './transport.js';
import type { ApiKeyInfo, Balance, CreatedApiKeyInfo, Instrument, NewApiKey, NewOrder, Order, OrderQuery, Position } from './types.js';

export interface Q2ClientOptions {
  /** e.g. `https://127.0.0.1:8443`. */
  baseUrl: string | URL;
  credentials?: Credentials;
  /** Default: Node https/http with keep-alive, configured by `tls`. */
  transport?: Transport;
  tls?: NodeTransportOptions;
  /** Clock for signatures' `created` (Unix ms); default Date.now. */
  now?: () => number;
  retry?: Partial<RetryPolicy>;
  /** How to wait between attempts; injectable so tests never sleep. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Per attempt; default 10 s. */
  timeoutMs?: number;
}

export interface RequestOptions {
  query?: Readonly<Record<string, string | number | boolean | undefined>>;
  body?: unknown;
  /** Safe to send twice? Default: true for GET, HEAD, PUT and DELETE. */
  idempotent?: boolean;
}

export interface Q2Client {
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  instruments(): Promise<Instrument[]>;
  placeOrder(order: NewOrder): Promise<Order>;
  getOrder(orderId: string): Promise<Order>;
  listOrders(query?: OrderQuery): Promise<Order[]>;
  cancelOrder(orderId: string): Promise<Order>;
  balances(): Promise<Balance[]>;
  positions(): Promise<Position[]>;
  /** Bearer credentials with a recent step-up only (SPEC §3). */
  createApiKey(input: NewApiKey): Promise<CreatedApiKeyInfo>;
  listApiKeys(): Promise<ApiKeyInfo[]>;
  revokeApiKey(keyId: string): Promise<void>;
  /** Closes idle keep-alive sockets of the default transport. */
  close(): void;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function decode<T>(response: TransportResponse): T {
  if (response.body.length === 0) return undefined as T;
  return JSON.parse(response.body.toString('utf8')) as T;
}

export function createQ2Client(options: Q2ClientOptions): Q2Client {
  const base = new URL(options.baseUrl);
  const transport = options.transport ?? nodeTransport(options.tls);
  const authorize = authorizerFor(options.credentials);
  const now = options.now ?? Date.now;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const sleep = options.sleep ?? wait;
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function request<T>(method: string, path: string, requestOptions: RequestOptions = {}): Promise<T> {
    if (!path.startsWith('/')) throw new TypeError('path must start with /');
    const url = new URL(path, base);
    for (const [name, value] of Object.entries(requestOptions.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const upper = method.toUpperCase();
    const body = requestOptions.body === undefined ? null : Buffer.from(JSON.stringify(requestOptions.body), 'utf8');
    const idempotent = requestOptions.idempotent ?? IDEMPOTENT_METHODS.has(upper);
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = {
        accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...authorize(upper, url, body, now()),
      };
      let response: TransportResponse | undefined;
      let failure: TransportError | undefined;
      try {
        response = await transport({ method: upper, url, headers, body, timeoutMs });
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        failure = error;
      }
      if (response !== undefined && response.status < 400) return decode<T>(response);
      const outcome: AttemptOutcome = response === undefined
        ? { kind: 'transport', code: failure?.code ?? 'EUNKNOWN' }
        : { kind: 'response', status: response.status, retryAfterSeconds: parseRetryAfter(response.headers['retry-after']) };
      const delay = retryDelay(outcome, attempt, idempotent, policy, random);
      if (delay === null) throw response === undefined ? failure : new Q2ApiError(problemOf(response.status, response.body), attempt);
      await sleep(delay);
    }
  }

  const listOrders = (query: OrderQuery = {}) => request<Order[]>('GET', '/v1/orders', { query: { ...query } });
  const id = (value: string) => encodeURIComponent(value);

  return {
    request,
    instruments: () => request('GET', '/v1/instruments'),
    async placeOrder(order) {
      try {
        return await request<Order>('POST', '/v1/orders', { body: order, idempotent: true });
      } catch (error) {
        if (!(error instanceof Q2ApiError && error.code === 'ORDER_DUPLICATE' && error.attempts > 1)) throw error;
        const recorded = (await listOrders({ symbol: order.symbol, limit: 500 })).find((o) => o.clientOrderId === order.clientOrderId);
        if (recorded === undefined) throw error;
        return recorded;
      }
    },
    getOrder: (orderId) => request('GET', `/v1/orders/${id(orderId)}`),
    listOrders,
    cancelOrder: (orderId) => request('DELETE', `/v1/orders/${id(orderId)}`),
    balances: () => request('GET', '/v1/balances'),
    positions: () => request('GET', '/v1/positions'),
    createApiKey: (input) => request('POST', '/v1/me/api-keys', { body: input }),
    listApiKeys: () => request('GET', '/v1/me/api-keys'),
    revokeApiKey: (keyId) => request('DELETE', `/v1/me/api-keys/${id(keyId)}`),
    close: () => transport.close?.(),
  };
}
