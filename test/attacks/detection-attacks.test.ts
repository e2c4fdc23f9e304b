/**
 * Threats: credential stuffing (a leaked list replayed from one address, including emails that
 * have no account), online brute force against one account, a stolen refresh token replayed
 * after rotation, a burst of forged request signatures, an account takeover that guesses, gets
 * in and mints an API key, a stolen password used from another continent minutes after the
 * owner's login (impossible travel), and a login from a device the account never used.
 * Property: each attack, driven through the real HTTP API (client addresses via X-Forwarded-For
 * from the trusted proxy), raises exactly the expected alert — none one event before its
 * threshold, one at it, no duplicate after — stored with its rule version and evidence, emitted
 * as `alert.raised`, and listed for admins; and no alert carries a raw User-Agent.
 */
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Principal } from '../../src/lib/auth/index.js';
import { createManualClock } from '../../src/lib/clock/index.js';
import type { SecurityEvent } from '../../src/lib/events/index.js';
import { createGeoipLocator, DEFAULT_RULES, type Alert, type NewValueRule } from '../../src/modules/detection/index.js';
import { base32Decode, totp } from '../../src/modules/mfa/index.js';
import { chainAuthenticators } from '../../src/server/auth.js';
import { createKey } from '../support/apikeys.js';
import { bearer, post, registerAndLogin, STRONG_PASSWORD, uniqueEmail, type Tokens } from '../support/identity.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
let platform: TestPlatform;
const raised: SecurityEvent[] = [];

/** `x-test-role: admin` is an admin; anything else goes through the platform's real authenticators. */
async function authenticate(request: FastifyRequest): Promise<Principal | null> {
  if (request.headers['x-test-role'] === 'admin') return { kind: 'user', userId: 'admin-1', roles: ['admin'], amr: ['pwd', 'otp'], authTime: clock.now() };
  const real = chainAuthenticators(platform.capabilities.flatMap((c) => (c.authenticate ? [c.authenticate] : [])));
  return real ? real(request) : null;
}

beforeAll(async () => {
  platform = await startTestPlatform({ Q2_TRUST_PROXY: '127.0.0.1/32' }, { clock, authenticate });
  platform.events.subscribe('test', (e) => { if (e.type === 'alert.raised') raised.push(e); });
});
afterAll(async () => platform.stop());

const countOf = (id: string) => {
  const rule = DEFAULT_RULES.find((r) => r.id === id);
  if (!rule || !('count' in rule)) throw new TypeError(`no counting rule ${id}`);
  return rule.count;
};

/** Alerts for `groupKey` after every queued event was processed, whatever the rule. */
async function alertsFor(groupKey: string): Promise<Alert[]> {
  await platform.events.drain();
  const res = await platform.app.inject({ method: 'GET', url: '/v1/admin/alerts?limit=200', headers: { 'x-test-role': 'admin' } });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { alerts: Alert[] }).alerts.filter((a) => a.groupKey === groupKey);
}

const login = (email: string, password: string, ip: string) =>
  post(platform.app, '/v1/auth/login', { email, password }, { 'x-forwarded-for': ip });

async function register(ip: string): Promise<{ email: string; userId: string }> {
  const email = uniqueEmail('target');
  const res = await post(platform.app, '/v1/auth/register', { email, password: STRONG_PASSWORD }, { 'x-forwarded-for': ip });
  expect(res.statusCode, res.body).toBe(201);
  return { email, userId: (res.json() as { userId: string }).userId };
}

describe('credential stuffing from one address', () => {
  it('raises one credential-stuffing alert at the N-th distinct account, none before, no duplicate after', async () => {
    const n = countOf('credential-stuffing');
    const ip = '203.0.113.50';
    const accounts = [];
    for (let i = 0; i <= n; i++) accounts.push(await register(`198.51.100.${10 + i}`));
    for (let i = 0; i < n - 1; i++) expect((await login(accounts[i]!.email, 'Wrong-password-1!x', ip)).statusCode).toBe(401);
    expect(await alertsFor(ip)).toEqual([]);
    expect((await login(accounts[n - 1]!.email, 'Wrong-password-1!x', ip)).statusCode).toBe(401);
    const alerts = await alertsFor(ip);
    expect(alerts.map((a) => [a.ruleId, a.ruleVersion, a.severity])).toEqual([['credential-stuffing', 2, 'high']]);
    expect(new Set(alerts[0]!.events.map((e) => e.target))).toEqual(new Set(accounts.slice(0, n).map((a) => a.userId)));
    await login(accounts[n]!.email, 'Wrong-password-1!x', ip);
    expect(await alertsFor(ip)).toHaveLength(1);
    expect(raised.filter((e) => e.details.groupKey === ip).map((e) => e.details.ruleId)).toEqual(['credential-stuffing']);
  });
});

describe('credential stuffing with emails that have no account', () => {
  it('counts unknown emails by their pseudonymous account key: one alert at the N-th, none before', async () => {
    const n = countOf('credential-stuffing');
    const ip = '203.0.113.51';
    const failures: SecurityEvent[] = [];
    const stop = platform.events.subscribe('test-stuffing', (e) => { if (e.type === 'auth.login' && e.ip === ip) failures.push(e); });
    try {
      for (let i = 0; i < n - 1; i++) expect((await login(uniqueEmail(`nobody${i}`), 'Wrong-password-1!x', ip)).statusCode).toBe(401);
      expect(await alertsFor(ip)).toEqual([]);
      // The same unknown email twice counts once.
      const last = uniqueEmail('nobody-last');
      expect((await login(last.toUpperCase(), 'Wrong-password-1!x', ip)).statusCode).toBe(401);
      expect((await alertsFor(ip)).map((a) => a.ruleId)).toEqual(['credential-stuffing']);
      await login(last, 'Wrong-password-1!x', ip);
      expect(await alertsFor(ip)).toHaveLength(1);
      // The key is a keyed hash: no target, no email in the event.
      expect(failures.every((e) => e.target === null && typeof e.details.accountKey === 'string' && !JSON.stringify(e).includes('@'))).toBe(true);
      expect(new Set(failures.map((e) => e.details.accountKey)).size).toBe(n);
    } finally {
      stop();
    }
  });
});

describe('brute force against one account', () => {
  it('raises one brute-force.account alert at the N-th failure, none before, no duplicate after', async () => {
    const n = countOf('brute-force.account');
    const victim = await register('198.51.100.60');
    for (let i = 0; i < n - 1; i++) expect((await login(victim.email, `Guess-${i}-aaaa!`, '203.0.113.60')).statusCode).toBe(401);
    expect(await alertsFor(victim.userId)).toEqual([]);
    expect((await login(victim.email, 'Guess-last-aaaa!', '203.0.113.60')).statusCode).toBe(401);
    expect((await alertsFor(victim.userId)).map((a) => a.ruleId)).toEqual(['brute-force.account']);
    await login(victim.email, 'Guess-more-aaaa!', '203.0.113.60');
    expect((await alertsFor(victim.userId)).map((a) => a.ruleId)).toEqual(['brute-force.account']);
    expect(await alertsFor('203.0.113.60')).toEqual([]);
  });
});

describe('refresh token replayed after rotation', () => {
  it('raises exactly one critical token-reuse alert for the account', async () => {
    const { userId, tokens } = await registerAndLogin(platform.app, uniqueEmail('reuse'), STRONG_PASSWORD, { 'x-forwarded-for': '198.51.100.70' });
    expect((await post(platform.app, '/v1/auth/refresh', { refreshToken: tokens.refreshToken })).statusCode).toBe(200);
    expect(await alertsFor(userId)).toEqual([]);
    expect((await post(platform.app, '/v1/auth/refresh', { refreshToken: tokens.refreshToken })).json().code).toBe('AUTH_REFRESH_REUSED');
    const alerts = await alertsFor(userId);
    expect(alerts.map((a) => [a.ruleId, a.severity])).toEqual([['token-reuse', 'critical']]);
    expect(alerts[0]!.events[0]).toMatchObject({ type: 'auth.refresh.reused', actor: userId });
  });
});

describe('burst of forged request signatures', () => {
  it('raises one signature-failure-burst alert at the N-th refusal, none before, no duplicate after', async () => {
    const n = countOf('signature-failure-burst');
    const ip = '203.0.113.80';
    const forged = (i: number) => platform.app.inject({
      method: 'GET', url: '/v1/balances',
      headers: {
        'x-forwarded-for': ip,
        'signature-input': `sig1=("@method" "@path");created=${Math.floor(clock.now() / 1000)};keyid="00000000-0000-4000-8000-00000000000${i % 10}";alg="ed25519"`,
        signature: `sig1=:${Buffer.alloc(64, i).toString('base64')}:`,
      },
    });
    for (let i = 0; i < n - 1; i++) expect((await forged(i)).statusCode).toBe(401);
    expect(await alertsFor(ip)).toEqual([]);
    expect((await forged(n)).json().code).toMatch(/^SIGNATURE_/);
    expect((await alertsFor(ip)).map((a) => a.ruleId)).toEqual(['signature-failure-burst']);
    await forged(n + 1);
    expect(await alertsFor(ip)).toHaveLength(1);
  });
});

describe('takeover: failed login, login, then a new API key', () => {
  const totpCode = (secret: string) => totp(base32Decode(secret)!, clock.now(), { algorithm: 'SHA1', digits: 6, periodS: 30, t0S: 0 });

  it('raises one takeover alert only once the API key is created, with the three steps as evidence', async () => {
    const victim = await register('198.51.100.90');
    const id = 'takeover.apikey-after-guessing';
    expect((await login(victim.email, 'Not-the-password-9!', '203.0.113.90')).statusCode).toBe(401);
    const ok = await login(victim.email, STRONG_PASSWORD, '203.0.113.90');
    expect(ok.statusCode, ok.body).toBe(200);
    const { accessToken } = ok.json() as Tokens;
    expect((await alertsFor(victim.userId)).map((a) => a.ruleId)).not.toContain(id);
    // Key creation needs a fresh second factor: enrol TOTP and step up, as an attacker with the session could.
    const auth = bearer(accessToken);
    const { secret } = (await post(platform.app, '/v1/me/mfa/totp', {}, auth)).json() as { secret: string };
    expect((await post(platform.app, '/v1/me/mfa/totp/confirm', { code: totpCode(secret) }, auth)).statusCode).toBe(200);
    clock.advance(30_000);
    const stepUp = await post(platform.app, '/v1/me/step-up', { method: 'totp', code: totpCode(secret) }, auth);
    expect(stepUp.statusCode, stepUp.body).toBe(200);
    await createKey(platform.app, (stepUp.json() as { accessToken: string }).accessToken, { label: 'persist', scopes: ['read'], ipAllowlist: [], algorithm: 'hmac-sha256' });
    const alerts = (await alertsFor(victim.userId)).filter((a) => a.ruleId === id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.events.map((e) => `${e.type}/${e.outcome}`)).toEqual(['auth.login/failure', 'auth.login/success', 'apikey.created/success']);
  });
});

describe('impossible travel: the same account logs in from two continents minutes apart', () => {
  // Public addresses whose bundled-database country is checked here, not assumed.
  const LONDON = '81.2.69.142';
  const TOKYO = '202.12.27.33';

  it('raises exactly one impossible-travel alert, with both logins as evidence and the speed in the event', async () => {
    const geo = createGeoipLocator();
    expect(geo.locate(LONDON)?.country).toBe('GB');
    expect(geo.locate(TOKYO)?.country).toBe('JP');
    const victim = await register('198.51.100.95');
    expect((await login(victim.email, STRONG_PASSWORD, LONDON)).statusCode).toBe(200);
    expect(await alertsFor(victim.userId)).toEqual([]);
    clock.advance(5 * 60_000);
    expect((await login(victim.email, STRONG_PASSWORD, TOKYO)).statusCode).toBe(200);
    const alerts = await alertsFor(victim.userId);
    expect(alerts.map((a) => [a.ruleId, a.severity])).toEqual([['impossible-travel', 'high']]);
    expect(alerts[0]!.events.map((e) => [e.type, e.outcome, e.ip])).toEqual([['auth.login', 'success', LONDON], ['auth.login', 'success', TOKYO]]);
    const event = raised.find((e) => e.target === alerts[0]!.id)!;
    expect(event.details).toMatchObject({ ruleId: 'impossible-travel', groupKey: victim.userId, fromCountry: 'GB', toCountry: 'JP' });
    expect(event.details.kmh).toBeGreaterThan(1_000);
    // Back in London a minute later: still the same episode, no second alert.
    clock.advance(60_000);
    expect((await login(victim.email, STRONG_PASSWORD, LONDON)).statusCode).toBe(200);
    expect((await alertsFor(victim.userId)).map((a) => a.ruleId)).toEqual(['impossible-travel']);
  });

  it('does not alert for two logins from the same city', async () => {
    const user = await register('198.51.100.96');
    expect((await login(user.email, STRONG_PASSWORD, LONDON)).statusCode).toBe(200);
    clock.advance(60_000);
    expect((await login(user.email, STRONG_PASSWORD, LONDON)).statusCode).toBe(200);
    expect(await alertsFor(user.userId)).toEqual([]);
  });
});

describe('login from a device the account never used', () => {
  it('raises one new-device alert after the history is established, and no alert holds the User-Agent', async () => {
    const minHistory = (DEFAULT_RULES.find((r) => r.id === 'new-device') as NewValueRule).minHistory;
    const user = await register('198.51.100.97');
    const usual = 'Mozilla/5.0 (X11; Linux x86_64) UsualBrowser/1.0';
    const stolen = 'curl/8.5.0 attacker-tooling';
    const loginWith = (ua: string) => post(platform.app, '/v1/auth/login', { email: user.email, password: STRONG_PASSWORD }, { 'x-forwarded-for': '203.0.113.97', 'user-agent': ua });
    for (let i = 0; i < minHistory; i++) expect((await loginWith(usual)).statusCode).toBe(200);
    expect(await alertsFor(user.userId)).toEqual([]);
    expect((await loginWith(stolen)).statusCode).toBe(200);
    const alerts = await alertsFor(user.userId);
    expect(alerts.map((a) => a.ruleId)).toEqual(['new-device']);
    const stored = JSON.stringify(alerts) + JSON.stringify(raised.filter((e) => e.details.groupKey === user.userId));
    expect(stored).not.toContain('curl');
    expect(stored).not.toContain('Mozilla');
  });
});

describe('account used from a new country after an established history', () => {
  it('raises new-country and, from the behavioural baseline, one behaviour-anomaly alert with a detection.anomaly event', async () => {
    const anomalies: SecurityEvent[] = [];
    const stop = platform.events.subscribe('test-anomaly', (e) => { if (e.type === 'detection.anomaly') anomalies.push(e); });
    try {
      const user = await register('198.51.100.98');
      // Ten logins from Stockholm (the baselines' warm-up), then one from Tokyo a day later:
      // too late for impossible travel, but a country this account never used.
      expect(createGeoipLocator().locate('89.160.20.128')?.country).toBe('SE');
      for (let i = 0; i < 10; i++) expect((await login(user.email, STRONG_PASSWORD, '89.160.20.128')).statusCode).toBe(200);
      await platform.events.drain();
      expect(anomalies).toEqual([]);
      clock.advance(25 * 60 * 60_000);
      expect((await login(user.email, STRONG_PASSWORD, '202.12.27.33')).statusCode).toBe(200);
      expect((await alertsFor(user.userId)).map((a) => a.ruleId).sort()).toEqual(['behaviour-anomaly', 'new-country']);
      await platform.events.drain();
      expect(anomalies).toHaveLength(1);
      expect(anomalies[0]!.details).toMatchObject({ userId: user.userId, level: 'high', reasons: ['new-country'] });
      expect(anomalies[0]!.details.score).toBeGreaterThanOrEqual(0.8);
    } finally {
      stop();
    }
  });
});

describe('rule set audit', () => {
  it('records the active rule set at boot as one detection.rules.changed audit entry', async () => {
    await platform.events.drain();
    const res = await platform.app.inject({ method: 'GET', url: '/v1/admin/audit?action=detection.rules.changed', headers: { 'x-test-role': 'admin' } });
    expect(res.statusCode, res.body).toBe(200);
    const entries = (res.json() as { entries: { details: { added: string[]; ruleSet: string } }[] }).entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]!.details.added.sort()).toEqual(DEFAULT_RULES.map((r) => `${r.id}@${r.version}`).sort());
  });
});
