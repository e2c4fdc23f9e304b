/**
 * Threat: an attacker who sees or intercepts a signed API request (or holds their own key) alters
 * it, forges one, or signs with the wrong key. SPEC §4: RFC 9421 binds method, authority, path,
 * query and body (RFC 9530 Content-Digest); `created` within ±30 s. Every case must be refused
 * with its SPEC code and reach no handler (the test routes record every request they serve).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentDigest } from '../../src/client/index.js';
import { createManualClock } from '../../src/lib/clock/index.js';
import type { SecurityEvent } from '../../src/lib/events/index.js';
import { signingKeyFrom, type SigningKey } from '../../src/modules/signing/index.js';
import { request } from '../support/https.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import {
  createEd25519Key, createKey, ed25519Pair, scopedTestRoutes, sendWire, signWire, signingKeyOf, steppedUpUser, type Reached, type WireRequest,
} from '../support/apikeys.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
const reached: Reached[] = [];
const events: SecurityEvent[] = [];
let platform: TestPlatform;
let alice: { keyId: string; key: SigningKey; publicKeyPem: string };
let aliceHmac: { keyId: string; key: SigningKey };
let mallory: { keyId: string; key: SigningKey };

beforeAll(async () => {
  platform = await startTestPlatform({}, { clock, routes: [scopedTestRoutes(reached)] });
  platform.events.subscribe('attack-test', (event) => { events.push(event); });
  const a = await steppedUpUser(platform.app, clock);
  alice = await createEd25519Key(platform.app, a.token, { label: 'alice', scopes: ['read', 'trade'] });
  const h = await createKey(platform.app, a.token, { label: 'alice hmac', scopes: ['trade'], ipAllowlist: [], algorithm: 'hmac-sha256' });
  aliceHmac = { keyId: h.keyId, key: signingKeyOf(h) };
  const m = await steppedUpUser(platform.app, clock);
  const mk = await createKey(platform.app, m.token, { label: 'mallory', scopes: ['read', 'trade'], ipAllowlist: [], algorithm: 'hmac-sha256' });
  mallory = { keyId: mk.keyId, key: signingKeyOf(mk) };
});
afterAll(async () => {
  await platform.stop();
});

const order = { clientOrderId: 'o-1', quantity: '1.5' };
const wire = (overrides: Partial<Parameters<typeof signWire>[0]> = {}): WireRequest =>
  signWire({ method: 'POST', target: '/v1/test/trade?symbol=BTC-USD', body: order, keyId: alice.keyId, key: alice.key, nowMs: clock.now(), ...overrides });

async function expectRefused(request: WireRequest, status: number, code: string): Promise<void> {
  const before = reached.length;
  const res = await sendWire(platform.app, request);
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json()).toMatchObject({ code, status });
  expect(reached).toHaveLength(before);
}

describe('signed requests', () => {
  it('accepts the untouched request (the baseline every attack below changes)', async () => {
    const res = await sendWire(platform.app, wire());
    expect(res.statusCode, res.body).toBe(200);
    expect(reached.at(-1)).toMatchObject({ apiKeyId: alice.keyId, body: order });
  });

  it('refuses an unsigned request on an API-key route, and a request with only half a signature', async () => {
    const unsigned = wire();
    unsigned.headers = { 'content-type': 'application/json' };
    await expectRefused(unsigned, 401, 'SIGNATURE_MISSING');
    const half = wire();
    delete half.headers.signature;
    await expectRefused(half, 401, 'SIGNATURE_MISSING');
  });

  it.each([['31 s late', -31_000], ['31 s early', 31_000], ['an hour old', -3_600_000]])('refuses `created` %s with SIGNATURE_EXPIRED', async (_name, offset) => {
    await expectRefused(wire({ nowMs: clock.now() + offset }), 401, 'SIGNATURE_EXPIRED');
  });

  it.each<[string, (w: WireRequest) => void]>([
    ['method (a signed DELETE sent as POST)', (w) => { w.headers = wire({ method: 'DELETE' }).headers; }],
    ['path', (w) => { w.headers = wire({ target: '/v1/test/other?symbol=BTC-USD' }).headers; }],
    ['query value', (w) => { w.target = '/v1/test/trade?symbol=ETH-USD'; }],
    ['query removed', (w) => { w.target = '/v1/test/trade'; }],
    ['query added', (w) => { w.headers = wire({ target: '/v1/test/trade' }).headers; }],
    ['authority (Host)', (w) => { w.host = 'evil.q2.test'; }],
    ['body, digest left as signed', (w) => { w.body = JSON.stringify({ ...order, quantity: '150' }); }],
    ['body with a recomputed digest', (w) => { w.body = JSON.stringify({ ...order, quantity: '150' }); w.headers['content-digest'] = contentDigest(Buffer.from(w.body)); }],
    ['Content-Digest header alone', (w) => { w.headers['content-digest'] = contentDigest(Buffer.from('{}'), 'sha-512'); }],
    ['Content-Digest removed', (w) => { delete w.headers['content-digest']; }],
    ['signature bytes', (w) => { w.headers.signature = w.headers.signature!.replace(/:(.)/, (_m, c: string) => `:${c === 'A' ? 'B' : 'A'}`); }],
    ['covered components narrowed to method and path', (w) => { w.headers['signature-input'] = w.headers['signature-input']!.replace(' "@authority"', ''); }],
  ])('refuses an altered %s with SIGNATURE_INVALID', async (_name, alter) => {
    const w = wire();
    alter(w);
    await expectRefused(w, 401, 'SIGNATURE_INVALID');
  });

  it("refuses a signature made with another key's secret, whoever's key id it names", async () => {
    await expectRefused(wire({ key: mallory.key }), 401, 'SIGNATURE_INVALID');
    await expectRefused(wire({ keyId: aliceHmac.keyId, key: mallory.key }), 401, 'SIGNATURE_INVALID');
    await expectRefused(wire({ keyId: mallory.keyId, key: aliceHmac.key }), 401, 'SIGNATURE_INVALID');
  });

  it('refuses algorithm confusion: an HMAC keyed with the public key of an ed25519 key', async () => {
    const confused = signingKeyFrom('hmac-sha256', Buffer.from(alice.publicKeyPem));
    await expectRefused(wire({ key: confused }), 401, 'SIGNATURE_INVALID');
  });

  it('answers an unknown key id exactly like a bad signature (no key enumeration)', async () => {
    const unknown = await sendWire(platform.app, wire({ keyId: randomUUID() }));
    const forged = await sendWire(platform.app, wire({ key: mallory.key }));
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().detail).toBe(forged.json().detail);
    await expectRefused(wire({ keyId: 'not-a-uuid' }), 401, 'SIGNATURE_INVALID');
  });

  it('refuses a second Content-Digest line for a swapped body (over a real socket)', async () => {
    const url = await platform.listen();
    const signed = signWire({ method: 'POST', target: '/v1/test/trade', body: order, keyId: alice.keyId, key: alice.key, nowMs: clock.now(), host: url.replace('https://', '') });
    const swapped = JSON.stringify({ ...order, quantity: '999' });
    const before = reached.length;
    // Node's client sends an array as repeated header lines; the server combines them (RFC 9110 §5.3).
    const res = await request(`${url}/v1/test/trade`, {
      method: 'POST', body: swapped,
      headers: { ...signed.headers, 'content-digest': [signed.headers['content-digest']!, contentDigest(Buffer.from(swapped))] as unknown as string },
    });
    expect(res.status, res.text).toBe(401);
    expect(res.json().code).toBe('SIGNATURE_INVALID');
    expect(reached).toHaveLength(before);
  });

  it('records each refusal as a security event naming the claimed key, never a secret', async () => {
    await expectRefused(wire({ key: signingKeyFrom('ed25519', ed25519Pair().privateKey) }), 401, 'SIGNATURE_INVALID');
    await platform.events.drain();
    const event = events.filter((e) => e.type === 'signature.invalid').at(-1);
    expect(event).toMatchObject({ outcome: 'failure', actor: 'anonymous', target: alice.keyId, details: { keyId: alice.keyId, reason: 'signature does not verify' } });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['signature.missing', 'signature.expired']));
    const metrics = await platform.metrics.getSingleMetricAsString('q2_signature_failures_total');
    expect(metrics).toMatch(/q2_signature_failures_total\{code="SIGNATURE_INVALID"\} [1-9]/);
  });
});
