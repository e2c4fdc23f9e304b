/**
 * Helpers for API-key tests: a signed-in user who just passed step-up MFA (TOTP through the real
 * routes), key creation through `POST /v1/me/api-keys`, an SDK transport over Fastify's inject
 * (with a chosen client address), and test routes guarded by `requireScope` that record what
 * reached them, so attack suites can assert that a refused request changed nothing.
 */
import { generateKeyPairSync, randomInt, type KeyObject } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { signRequest, type CreatedApiKeyInfo, type NewApiKey, type Transport } from '../../src/client/index.js';
import { signingKeyFrom, type SigningKey } from '../../src/modules/signing/index.js';
import { requireScope } from '../../src/modules/apikeys/index.js';
import { base32Decode, totp } from '../../src/modules/mfa/index.js';
import type { RouteModule } from '../../src/server/app.js';
import { bearer, post, registerAndLogin } from './identity.js';

export interface SteppedUpUser {
  userId: string;
  /** An access token with a multi-factor authentication at the current (manual) clock time. */
  token: string;
}

type ManualClock = { now(): number; advance(ms: number): void };

function code(secret: string, at: number): string {
  const key = base32Decode(secret);
  if (!key) throw new Error('TOTP secret is not base32');
  return totp(key, at, { algorithm: 'SHA1', digits: 6, periodS: 30, t0S: 0 });
}

/** Registers, enrols TOTP, moves to the next TOTP step and steps up: a token fit to create keys. */
export async function steppedUpUser(app: FastifyInstance, clock: ManualClock): Promise<SteppedUpUser> {
  const { userId, tokens } = await registerAndLogin(app);
  const auth = { ...bearer(tokens.accessToken), 'content-type': 'application/json' };
  const start = await app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: auth, payload: {} });
  expect(start.statusCode, start.body).toBe(200);
  const { secret } = start.json() as { secret: string };
  const confirm = await app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers: auth, payload: { code: code(secret, clock.now()) } });
  expect(confirm.statusCode, confirm.body).toBe(200);
  clock.advance(30_000); // a TOTP code is accepted once per account: step up with the next step's code
  const stepUp = await post(app, '/v1/me/step-up', { method: 'totp', code: code(secret, clock.now()) }, bearer(tokens.accessToken));
  expect(stepUp.statusCode, stepUp.body).toBe(200);
  return { userId, token: (stepUp.json() as { accessToken: string }).accessToken };
}

export async function createKey(app: FastifyInstance, token: string, body: NewApiKey): Promise<CreatedApiKeyInfo> {
  const res = await post(app, '/v1/me/api-keys', body, bearer(token));
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as CreatedApiKeyInfo;
}

export function ed25519Pair(): { publicKeyPem: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), privateKey };
}

/**
 * Creates an Ed25519 key for the stepped-up user behind `token` (label, scopes and allowlist
 * from `fields`, no allowlist by default) and returns what a client signs with.
 */
export async function createEd25519Key(
  app: FastifyInstance, token: string, fields: Omit<NewApiKey, 'algorithm' | 'publicKey' | 'ipAllowlist'> & { ipAllowlist?: string[] },
): Promise<{ keyId: string; key: SigningKey; publicKeyPem: string }> {
  const pair = ed25519Pair();
  const created = await createKey(app, token, { ipAllowlist: [], ...fields, algorithm: 'ed25519', publicKey: pair.publicKeyPem });
  return { keyId: created.keyId, key: signingKeyOf(created, pair.privateKey), publicKeyPem: pair.publicKeyPem };
}

/**
 * A client address in 198.18.0.0/15 (RFC 2544 benchmarking), random per call. Suites on the
 * shared Redis send their refused requests from it: refusals raise the network layer's risk
 * score of the sender for hours, and 127.0.0.1 is every other suite's address.
 */
export function testAddress(): string {
  return `198.${18 + randomInt(2)}.${randomInt(256)}.${1 + randomInt(254)}`;
}

/** An SDK transport through `app.inject`, as if from `remoteAddress`. */
export function injectTransport(app: FastifyInstance, remoteAddress = '127.0.0.1'): Transport {
  return async (request) => {
    const res = await app.inject({
      method: request.method as 'GET', url: `${request.url.pathname}${request.url.search}`, remoteAddress,
      headers: { ...request.headers, host: request.url.host }, ...(request.body ? { payload: request.body } : {}),
    });
    return { status: res.statusCode, headers: res.headers as Record<string, string | string[] | undefined>, body: res.rawPayload };
  };
}

export interface Reached {
  route: string;
  userId: string;
  kind: string;
  apiKeyId: string | undefined;
  body: unknown;
}

/**
 * `POST /v1/test/trade` (scope `trade`), `GET /v1/test/read` (scope `read`) and
 * `POST /v1/test/withdraw` (scope `withdraw`); each records the principal and body it served.
 */
export function scopedTestRoutes(reached: Reached[]): RouteModule {
  const record = (route: string) => async (request: { principal: { userId: string; kind: string; apiKeyId?: string } | null; body?: unknown }) => {
    const p = request.principal!;
    reached.push({ route, userId: p.userId, kind: p.kind, apiKeyId: p.apiKeyId, body: request.body ?? null });
    return { ok: true, userId: p.userId, kind: p.kind };
  };
  const answer = { 200: { type: 'object', additionalProperties: false, required: ['ok', 'userId', 'kind'], properties: { ok: { type: 'boolean' }, userId: { type: 'string' }, kind: { type: 'string' } } } };
  const order = { type: 'object', additionalProperties: false, required: ['clientOrderId'], properties: { clientOrderId: { type: 'string', maxLength: 64 }, quantity: { type: 'string', maxLength: 32 } } };
  const query = { type: 'object', additionalProperties: false, properties: { symbol: { type: 'string', maxLength: 21 } } };
  return (app) => {
    app.post('/v1/test/trade', { preHandler: requireScope('trade'), config: { rateLimit: 'trading' }, schema: { body: order, querystring: query, response: answer } }, record('trade'));
    app.get('/v1/test/read', { preHandler: requireScope('read'), config: { rateLimit: 'read' }, schema: { querystring: query, response: answer } }, record('read'));
    app.post('/v1/test/withdraw', { preHandler: requireScope('withdraw'), config: { rateLimit: 'trading' }, schema: { body: order, response: answer } }, record('withdraw'));
  };
}

/** A request as it goes on the wire, signed, and open to tampering before it is sent. */
export interface WireRequest {
  method: string;
  /** Path and query, e.g. `/v1/test/trade?symbol=BTC-USD`. */
  target: string;
  host: string;
  body: string | null;
  headers: Record<string, string>;
  remoteAddress: string;
}

export const signingKeyOf = (key: CreatedApiKeyInfo, privateKey?: KeyObject): SigningKey =>
  (key.algorithm === 'ed25519' ? signingKeyFrom('ed25519', privateKey as KeyObject) : signingKeyFrom('hmac-sha256', Buffer.from(key.secret ?? '', 'base64')));

/** Signs like the SDK does (RFC 9421, SPEC §4) for `http://<host><target>` at `nowMs`. */
export function signWire(options: {
  method: string; target: string; body?: unknown; keyId: string; key: SigningKey; nowMs: number;
  host?: string; nonce?: string; remoteAddress?: string;
}): WireRequest {
  const host = options.host ?? 'api.q2.test';
  const body = options.body === undefined ? null : JSON.stringify(options.body);
  const signed = signRequest({
    method: options.method, url: new URL(`http://${host}${options.target}`), body: body === null ? null : Buffer.from(body),
    keyId: options.keyId, key: options.key, created: Math.floor(options.nowMs / 1000), ...(options.nonce ? { nonce: options.nonce } : {}),
  });
  return {
    method: options.method, target: options.target, host, body, remoteAddress: options.remoteAddress ?? '127.0.0.1',
    headers: { ...signed, ...(body === null ? {} : { 'content-type': 'application/json' }) },
  };
}

export function sendWire(app: FastifyInstance, wire: WireRequest) {
  return app.inject({
    method: wire.method as 'GET', url: wire.target, remoteAddress: wire.remoteAddress,
    headers: { ...wire.headers, host: wire.host }, ...(wire.body === null ? {} : { payload: wire.body }),
  });
}
