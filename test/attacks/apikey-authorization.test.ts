/**
 * Threat: a stolen or over-privileged API key used beyond what it was granted. SPEC §4: a key
 * works only from its IP allowlist, only for its scopes, only until it expires, never after
 * revocation, and (our rule) never on account routes: a key cannot mint keys, end sessions or
 * enrol MFA. Each refusal carries its SPEC code, in SPEC order, and reaches no handler.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock/index.js';
import type { SecurityEvent } from '../../src/lib/events/index.js';
import type { SigningKey } from '../../src/modules/signing/index.js';
import { bearer } from '../support/identity.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import {
  createEd25519Key, scopedTestRoutes, sendWire, signWire, steppedUpUser, type Reached, type SteppedUpUser,
} from '../support/apikeys.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
const reached: Reached[] = [];
const events: SecurityEvent[] = [];
let platform: TestPlatform;
let owner: SteppedUpUser;

beforeAll(async () => {
  platform = await startTestPlatform({}, { clock, routes: [scopedTestRoutes(reached)] });
  platform.events.subscribe('attack-test', (event) => { events.push(event); });
  owner = await steppedUpUser(platform.app, clock);
});
afterAll(async () => {
  await platform.stop();
});

interface Key { keyId: string; key: SigningKey }

async function newKey(fields: { scopes: ('read' | 'trade' | 'withdraw')[]; ipAllowlist?: string[]; expiresAt?: string }): Promise<Key> {
  // Step-up is valid for 5 minutes of the manual clock; refresh it when a test has moved time on.
  if (clock.now() - Date.UTC(2026, 11, 4, 12) > 4 * 60_000) owner = await steppedUpUser(platform.app, clock);
  return createEd25519Key(platform.app, owner.token, { label: 'k', ...fields });
}

const call = (key: Key, options: { method?: string; target?: string; body?: unknown; from?: string } = {}) => sendWire(platform.app, signWire({
  method: options.method ?? 'POST', target: options.target ?? '/v1/test/trade', keyId: key.keyId, key: key.key, nowMs: clock.now(),
  remoteAddress: options.from ?? '127.0.0.1', ...((options.method ?? 'POST') === 'POST' ? { body: options.body ?? { clientOrderId: 'x' } } : {}),
}));

async function expectServed(response: Promise<{ statusCode: number; body: string }>): Promise<void> {
  const res = await response;
  expect(res.statusCode, res.body).toBe(200);
}

async function expectRefused(response: Promise<{ statusCode: number; body: string; json(): { code: string } }>, status: number, code: string): Promise<void> {
  const before = reached.length;
  const res = await response;
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json().code).toBe(code);
  expect(reached).toHaveLength(before);
}

describe('IP allowlist', () => {
  it('refuses a key from outside its allowlist with APIKEY_IP_FORBIDDEN, and serves it from inside (IPv4, IPv6, mapped)', async () => {
    const key = await newKey({ scopes: ['trade'], ipAllowlist: ['198.51.100.0/24', '2001:db8::/32'] });
    await expectRefused(call(key, { from: '203.0.113.9' }), 403, 'APIKEY_IP_FORBIDDEN');
    await expectRefused(call(key, { from: '2001:db9::1' }), 403, 'APIKEY_IP_FORBIDDEN');
    for (const from of ['198.51.100.77', '2001:db8:1::5', '::ffff:198.51.100.8']) await expectServed(call(key, { from }));
  });

  it('records the refusal against the key (verified), with the address', async () => {
    const key = await newKey({ scopes: ['trade'], ipAllowlist: ['198.51.100.0/24'] });
    await expectRefused(call(key, { from: '203.0.113.10' }), 403, 'APIKEY_IP_FORBIDDEN');
    await platform.events.drain();
    expect(events.find((e) => e.type === 'apikey.ip_forbidden' && e.target === key.keyId))
      .toMatchObject({ actor: `apikey:${key.keyId}`, outcome: 'denied', ip: '203.0.113.10' });
  });
});

describe('scopes', () => {
  it('refuses a read key placing an order with APIKEY_SCOPE_FORBIDDEN; it may read', async () => {
    const key = await newKey({ scopes: ['read'] });
    await expectRefused(call(key), 403, 'APIKEY_SCOPE_FORBIDDEN');
    await expectServed(call(key, { method: 'GET', target: '/v1/test/read' }));
  });

  it('refuses a trade key on a withdraw route', async () => {
    const key = await newKey({ scopes: ['read', 'trade'] });
    await expectRefused(call(key, { target: '/v1/test/withdraw' }), 403, 'APIKEY_SCOPE_FORBIDDEN');
  });

  const mint = { label: 'minted', scopes: ['withdraw'], ipAllowlist: ['0.0.0.0/0'], algorithm: 'hmac-sha256' };
  it.each([
    ['list API keys', 'GET', '/v1/me/api-keys', undefined],
    ['create an API key', 'POST', '/v1/me/api-keys', mint],
    ['read the profile', 'GET', '/v1/me', undefined],
    ['list sessions', 'GET', '/v1/me/sessions', undefined],
    ['enrol TOTP', 'POST', '/v1/me/mfa/totp', {}],
  ])('refuses a full-scope key that tries to %s (account routes do not accept keys)', async (_name, method, target, body) => {
    const key = await newKey({ scopes: ['read', 'trade', 'withdraw'], ipAllowlist: ['127.0.0.1'] });
    await expectRefused(call(key, { method, target, body }), 403, 'APIKEY_SCOPE_FORBIDDEN');
    const keys = await platform.app.inject({ method: 'GET', url: '/v1/me/api-keys', headers: bearer(owner.token) });
    expect((keys.json() as { label: string }[]).map((k) => k.label)).not.toContain('minted');
  });
});

describe('expiry and revocation', () => {
  it('refuses an expired key with APIKEY_EXPIRED, from the first millisecond after expiry', async () => {
    const key = await newKey({ scopes: ['trade'], expiresAt: new Date(clock.now() + 60 * 60_000).toISOString() });
    await expectServed(call(key));
    clock.advance(60 * 60_000);
    await expectRefused(call(key), 403, 'APIKEY_EXPIRED');
  });

  it('applies the 403s in SPEC order: address, then scope, then expiry', async () => {
    const key = await newKey({ scopes: ['read'], ipAllowlist: ['198.51.100.0/24'], expiresAt: new Date(clock.now() + 60_000).toISOString() });
    clock.advance(60_000);
    await expectRefused(call(key, { from: '203.0.113.1' }), 403, 'APIKEY_IP_FORBIDDEN');
    await expectRefused(call(key, { from: '198.51.100.1' }), 403, 'APIKEY_SCOPE_FORBIDDEN');
    await expectRefused(call(key, { from: '198.51.100.1', method: 'GET', target: '/v1/test/read' }), 403, 'APIKEY_EXPIRED');
  });

  it('refuses a revoked key with SIGNATURE_INVALID, as if it never existed', async () => {
    const key = await newKey({ scopes: ['trade'] });
    await expectServed(call(key));
    const revoke = await platform.app.inject({ method: 'DELETE', url: `/v1/me/api-keys/${key.keyId}`, headers: bearer(owner.token) });
    expect(revoke.statusCode).toBe(204);
    await expectRefused(call(key), 401, 'SIGNATURE_INVALID');
  });

  it("stops a locked account's keys once the key cache entry ages out (60 s)", async () => {
    const victim = await steppedUpUser(platform.app, clock);
    const key = await createEd25519Key(platform.app, victim.token, { label: 'k', scopes: ['trade'] });
    await expectServed(call(key));
    await platform.db.kysely.updateTable('users').set({ status: 'locked' }).where('id', '=', victim.userId).execute();
    clock.advance(61_000);
    await expectRefused(call(key), 401, 'SIGNATURE_INVALID');
  });
});
