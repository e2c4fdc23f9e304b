/**
 * API keys end to end over HTTPS (SPEC §4): creation under step-up MFA, both algorithms used
 * through the client SDK on a real TLS socket, the independent `http-message-signatures`
 * package interoperating with the server, the one-time HMAC secret, listing and revocation.
 */
import { readFileSync } from 'node:fs';
import { createSigner, httpbis } from 'http-message-signatures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQ2Client, newNonce, contentDigest, type Q2Client, type Credentials } from '../../src/client/index.js';
import { createManualClock } from '../../src/lib/clock/index.js';
import { request } from '../support/https.js';
import { bearer, post, registerAndLogin } from '../support/identity.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { createKey, ed25519Pair, scopedTestRoutes, steppedUpUser, type Reached } from '../support/apikeys.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
const reached: Reached[] = [];
let platform: TestPlatform;
let ca: string;
const clients: Q2Client[] = [];

function client(credentials: Credentials): Q2Client {
  const c = createQ2Client({ baseUrl: platform.url, credentials, tls: { ca }, now: () => clock.now() });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  platform = await startTestPlatform({}, { clock, routes: [scopedTestRoutes(reached)] });
  await platform.listen();
  ca = readFileSync(`${platform.dataDir}/tls/cert.pem`, 'utf8');
});
afterAll(async () => {
  for (const c of clients) c.close();
  await platform.stop();
});

describe('API keys over HTTPS with the SDK', () => {
  it('creates an ed25519 key under step-up; the SDK signs requests the server accepts', async () => {
    const user = await steppedUpUser(platform.app, clock);
    const { publicKeyPem, privateKey } = ed25519Pair();
    const key = await createKey(platform.app, user.token, { label: 'bot', scopes: ['read', 'trade'], ipAllowlist: ['127.0.0.1/32', '::1'], algorithm: 'ed25519', publicKey: publicKeyPem });
    expect(key).toMatchObject({ label: 'bot', scopes: ['read', 'trade'], ipAllowlist: ['127.0.0.1/32', '::1/128'], algorithm: 'ed25519', expiresAt: null });
    expect(key).not.toHaveProperty('secret');

    const sdk = client({ kind: 'apikey', keyId: key.keyId, algorithm: 'ed25519', privateKey });
    const answer = await sdk.request('POST', '/v1/test/trade', { query: { symbol: 'BTC-USD' }, body: { clientOrderId: 'e2e-1', quantity: '0.5' } });
    expect(answer).toEqual({ ok: true, userId: user.userId, kind: 'apikey' });
    expect(reached.at(-1)).toEqual({ route: 'trade', userId: user.userId, kind: 'apikey', apiKeyId: key.keyId, body: { clientOrderId: 'e2e-1', quantity: '0.5' } });
    await expect(sdk.request('GET', '/v1/test/read')).resolves.toMatchObject({ ok: true });
  });

  it('shows an hmac-sha256 secret once: it works, is never listed, and is stored only encrypted', async () => {
    const user = await steppedUpUser(platform.app, clock);
    const key = await createKey(platform.app, user.token, { label: 'hmac bot', scopes: ['trade'], ipAllowlist: [], algorithm: 'hmac-sha256' });
    expect(Buffer.from(key.secret ?? '', 'base64')).toHaveLength(32);

    const sdk = client({ kind: 'apikey', keyId: key.keyId, algorithm: 'hmac-sha256', secret: key.secret ?? '' });
    await expect(sdk.request('POST', '/v1/test/trade', { body: { clientOrderId: 'e2e-2' } })).resolves.toMatchObject({ kind: 'apikey' });

    const listed = await platform.app.inject({ method: 'GET', url: '/v1/me/api-keys', headers: bearer(user.token) });
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(key.secret);
    expect(listed.json()).toEqual([expect.objectContaining({ keyId: key.keyId, algorithm: 'hmac-sha256' })]);
    expect(listed.json()[0]).not.toHaveProperty('secret');

    const row = await platform.db.kysely.selectFrom('api_keys').selectAll().where('key_id', '=', key.keyId).executeTakeFirstOrThrow();
    expect(row.secret_ciphertext).toMatch(/^q2:v\d+:/);
    const text = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    expect(text(row)).not.toContain(key.secret);
    expect(text(row)).not.toContain(Buffer.from(key.secret ?? '', 'base64').toString('hex'));

    // The creation is audited (the bus feeds the audit log) and the audit record holds no secret.
    await platform.events.drain();
    const audit = await platform.db.kysely.selectFrom('audit_entries').select(['action', 'target', 'details']).where('action', '=', 'apikey.created').execute();
    expect(audit.map((e) => e.target)).toContain(key.keyId);
    expect(text(audit)).not.toContain(key.secret);
  });

  it('accepts requests signed by the independent http-message-signatures package (both algorithms)', async () => {
    const user = await steppedUpUser(platform.app, clock);
    const { publicKeyPem, privateKey } = ed25519Pair();
    const ed = await createKey(platform.app, user.token, { label: 'interop ed', scopes: ['trade'], ipAllowlist: [], algorithm: 'ed25519', publicKey: publicKeyPem });
    const hmac = await createKey(platform.app, user.token, { label: 'interop hmac', scopes: ['trade'], ipAllowlist: [], algorithm: 'hmac-sha256' });
    const body = JSON.stringify({ clientOrderId: 'interop-1' });
    for (const [keyId, signer] of [
      [ed.keyId, createSigner(privateKey, 'ed25519', ed.keyId)],
      [hmac.keyId, createSigner(Buffer.from(hmac.secret ?? '', 'base64'), 'hmac-sha256', hmac.keyId)],
    ] as const) {
      const url = `${platform.url}/v1/test/trade?symbol=ETH-USD`;
      const signed = await httpbis.signMessage({
        key: signer, name: 'sig1',
        fields: ['@method', '@authority', '@path', '@query', 'content-digest'],
        params: ['created', 'nonce', 'keyid', 'alg'],
        paramValues: { created: new Date(clock.now()), nonce: newNonce() },
      }, { method: 'POST', url, headers: { 'content-type': 'application/json', 'content-digest': contentDigest(Buffer.from(body)) } });
      const res = await request(url, { method: 'POST', headers: signed.headers as Record<string, string>, body, ca });
      expect(res.status, res.text).toBe(200);
      expect(reached.at(-1)).toMatchObject({ apiKeyId: keyId, kind: 'apikey' });
    }
  });

  it('refuses key creation without a recent second factor', async () => {
    const { tokens } = await registerAndLogin(platform.app);
    const res = await post(platform.app, '/v1/me/api-keys', { label: 'x', scopes: ['read'], ipAllowlist: [], algorithm: 'hmac-sha256' }, bearer(tokens.accessToken));
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('AUTH_STEP_UP_REQUIRED');
    const stale = await steppedUpUser(platform.app, clock);
    clock.advance(5 * 60_000 + 1_000);
    const late = await post(platform.app, '/v1/me/api-keys', { label: 'x', scopes: ['read'], ipAllowlist: [], algorithm: 'hmac-sha256' }, bearer(stale.token));
    expect(late.json().code).toBe('AUTH_STEP_UP_REQUIRED');
    expect((await platform.db.kysely.selectFrom('api_keys').select('key_id').where('user_id', '=', stale.userId).execute())).toHaveLength(0);
  });

  it.each([
    ['withdraw without an allowlist', { scopes: ['withdraw'], ipAllowlist: [], algorithm: 'hmac-sha256' }, 'body/ipAllowlist'],
    ['ed25519 without a public key', { scopes: ['read'], ipAllowlist: [], algorithm: 'ed25519' }, 'body/publicKey'],
    ['hmac-sha256 with a public key', { scopes: ['read'], ipAllowlist: [], algorithm: 'hmac-sha256', publicKey: ed25519Pair().publicKeyPem }, 'body/publicKey'],
    ['a private key pasted as publicKey', { scopes: ['read'], ipAllowlist: [], algorithm: 'ed25519', publicKey: ed25519Pair().privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }, 'body/publicKey'],
    ['a CIDR with host bits', { scopes: ['read'], ipAllowlist: ['10.1.2.3/8'], algorithm: 'hmac-sha256' }, 'body/ipAllowlist/0'],
    ['an expiry in the past', { scopes: ['read'], ipAllowlist: [], algorithm: 'hmac-sha256', expiresAt: '2020-01-01T00:00:00Z' }, 'body/expiresAt'],
    ['an unknown scope', { scopes: ['admin'], ipAllowlist: [], algorithm: 'hmac-sha256' }, 'body/scopes/0'],
    ['an unknown field', { scopes: ['read'], ipAllowlist: [], algorithm: 'hmac-sha256', secret: 'mine' }, 'body/secret'],
  ])('refuses %s with VALIDATION_FAILED naming the field', async (_name, fields, path) => {
    const user = await steppedUpUser(platform.app, clock);
    const res = await post(platform.app, '/v1/me/api-keys', { label: 'bad', ...fields }, bearer(user.token));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: expect.arrayContaining([expect.objectContaining({ path })]) });
    expect(res.body).not.toContain('PRIVATE KEY');
  });

  it('revokes a key: its next request is refused, it is no longer listed, and another user gets 404', async () => {
    const user = await steppedUpUser(platform.app, clock);
    const key = await createKey(platform.app, user.token, { label: 'short-lived', scopes: ['read'], ipAllowlist: [], algorithm: 'hmac-sha256' });
    const sdk = client({ kind: 'apikey', keyId: key.keyId, algorithm: 'hmac-sha256', secret: key.secret ?? '' });
    await expect(sdk.request('GET', '/v1/test/read')).resolves.toMatchObject({ ok: true });

    const mallory = await registerAndLogin(platform.app);
    const foreign = await platform.app.inject({ method: 'DELETE', url: `/v1/me/api-keys/${key.keyId}`, headers: bearer(mallory.tokens.accessToken) });
    expect(foreign.statusCode).toBe(404);
    await expect(sdk.request('GET', '/v1/test/read')).resolves.toMatchObject({ ok: true });

    const owner = client({ kind: 'bearer', token: user.token });
    await owner.revokeApiKey(key.keyId);
    await owner.revokeApiKey(key.keyId); // a retried DELETE is not an error
    await expect(sdk.request('GET', '/v1/test/read')).rejects.toMatchObject({ status: 401, code: 'SIGNATURE_INVALID' });
    expect(await owner.listApiKeys()).toEqual([]);
    const row = await platform.db.kysely.selectFrom('api_keys').selectAll().where('key_id', '=', key.keyId).executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
    expect(row.secret_ciphertext).toBeNull();
  });
});
