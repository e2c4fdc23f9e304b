/**
 * The SDK against a scripted transport: what it signs, what it retries (and how long it waits,
 * through an injected sleep), what it never retries, and how a retried placement that meets its
 * own first attempt as ORDER_DUPLICATE returns the recorded order.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { q2SignaturePolicy, splitTarget, verifyRequestSignature, verifyingKeyFrom } from '../modules/signing/index.js';
import { createQ2Client, type Q2ClientOptions } from './client.js';
import { Q2ApiError } from './errors.js';
import { TransportError, type TransportRequest, type TransportResponse } from './transport.js';

const NOW = Date.UTC(2026, 5, 1, 12);
const pair = generateKeyPairSync('ed25519');
const order = { clientOrderId: 'c-42', symbol: 'BTC-USD', side: 'buy', type: 'limit', quantity: '0.5', price: '42000', timeInForce: 'GTC' } as const;
const recorded = { ...order, orderId: 'o-1', postOnly: false, filledQuantity: '0', remainingQuantity: '0.5', status: 'open', cancelReason: null, createdAt: 'x', updatedAt: 'x', fills: [] };

type Step = TransportResponse | TransportError;
const json = (status: number, body: unknown, headers: Record<string, string> = {}): TransportResponse =>
  ({ status, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(body)) });
const problem = (status: number, code: string, headers: Record<string, string> = {}) => json(status, { status, code, detail: code, requestId: 'r-1' }, headers);

function scripted(steps: Step[], options: Partial<Q2ClientOptions> = {}) {
  const sent: TransportRequest[] = [];
  const slept: number[] = [];
  const client = createQ2Client({
    baseUrl: 'https://api.q2.test',
    credentials: { kind: 'apikey', keyId: 'key-1', algorithm: 'ed25519', privateKey: pair.privateKey },
    now: () => NOW, random: () => 0.5, sleep: async (ms) => { slept.push(ms); },
    transport: async (request) => {
      sent.push(request);
      const step = steps.shift();
      if (step === undefined) throw new Error('unexpected request');
      if (step instanceof TransportError) throw step;
      return step;
    },
    ...options,
  });
  return { client, sent, slept };
}

describe('Q2 client', () => {
  it('signs each request so that the Q2 verifier accepts it', async () => {
    const { client, sent } = scripted([json(201, recorded)]);
    await expect(client.placeOrder(order)).resolves.toEqual(recorded);
    const [request] = sent;
    const verdict = verifyRequestSignature({
      method: request!.method, scheme: 'https', authority: request!.url.host, ...splitTarget(`${request!.url.pathname}${request!.url.search}`),
      fields: request!.headers, hasBody: true, body: request!.body,
    }, verifyingKeyFrom('ed25519', pair.publicKey.export({ format: 'pem', type: 'spki' })), NOW, q2SignaturePolicy());
    expect(verdict.ok).toBe(true);
    expect(request!.headers['content-type']).toBe('application/json');
  });

  it('retries a read on 503 with backoff and on a reset connection, re-signing every attempt with a new nonce', async () => {
    const { client, sent, slept } = scripted([problem(503, 'SERVICE_OVERLOADED'), new TransportError('reset', 'ECONNRESET'), json(200, [])]);
    await expect(client.balances()).resolves.toEqual([]);
    expect(sent).toHaveLength(3);
    expect(slept).toEqual([50, 100]); // full jitter (random 0.5) of 100 ms, then 200 ms
    const nonces = sent.map((r) => /nonce="([^"]+)"/.exec(r.headers['signature-input'] ?? '')?.[1]);
    expect(new Set(nonces).size).toBe(3);
  });

  it("waits for the server's Retry-After on 429, but not beyond its ceiling", async () => {
    const { client, slept } = scripted([problem(429, 'RATE_LIMITED', { 'retry-after': '1' }), json(200, [])]);
    await client.positions();
    expect(slept).toEqual([1000]);
    const tooLong = scripted([problem(429, 'RATE_LIMITED', { 'retry-after': '30' })]);
    await expect(tooLong.client.positions()).rejects.toMatchObject({ code: 'RATE_LIMITED', attempts: 1 });
  });

  it('never retries a refused signature, a validation error or a non-idempotent POST', async () => {
    await expect(scripted([problem(401, 'REPLAY_DETECTED')]).client.balances()).rejects.toMatchObject({ status: 401, code: 'REPLAY_DETECTED', requestId: 'r-1' });
    await expect(scripted([problem(400, 'VALIDATION_FAILED')]).client.placeOrder(order)).rejects.toBeInstanceOf(Q2ApiError);
    const post = scripted([problem(503, 'SERVICE_OVERLOADED')]);
    await expect(post.client.request('POST', '/v1/other', { body: {} })).rejects.toMatchObject({ code: 'SERVICE_OVERLOADED' });
    expect(post.sent).toHaveLength(1);
    const lost = scripted([new TransportError('reset', 'ECONNRESET')]);
    await expect(lost.client.request('POST', '/v1/other', { body: {} })).rejects.toBeInstanceOf(TransportError);
  });

  it('returns the order recorded by a lost first attempt when the retry is answered ORDER_DUPLICATE', async () => {
    const { client, sent } = scripted([new TransportError('timeout', 'ETIMEDOUT'), problem(409, 'ORDER_DUPLICATE'), json(200, [{ ...recorded, clientOrderId: 'other' }, recorded])]);
    await expect(client.placeOrder(order)).resolves.toEqual(recorded);
    expect(sent.map((r) => `${r.method} ${r.url.pathname}${r.url.search}`)).toEqual(['POST /v1/orders', 'POST /v1/orders', 'GET /v1/orders?symbol=BTC-USD&limit=500']);
    expect(sent[0]!.body?.equals(sent[1]!.body!)).toBe(true); // the same idempotency key, byte for byte
  });

  it('reports a first-attempt ORDER_DUPLICATE as the error it is', async () => {
    await expect(scripted([problem(409, 'ORDER_DUPLICATE')]).client.placeOrder(order)).rejects.toMatchObject({ code: 'ORDER_DUPLICATE', attempts: 1 });
  });

  it('sends bearer tokens as is, and makes a problem out of a non-JSON error body', async () => {
    const { client, sent } = scripted([{ status: 502, headers: {}, body: Buffer.from('<html>bad gateway</html>') }], {
      credentials: { kind: 'bearer', token: 'abc' }, retry: { attempts: 1 },
    });
    await expect(client.listApiKeys()).rejects.toMatchObject({ status: 502, code: 'HTTP_502' });
    expect(sent[0]!.headers.authorization).toBe('Bearer abc');
    expect(sent[0]!.headers['signature-input']).toBeUndefined();
  });
});
