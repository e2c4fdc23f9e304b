/**
 * Threats: a stolen refresh token replayed after the legitimate client rotated it; a race of two
 * refreshes to fork a session; access tokens that outlive logout, password change or an admin
 * lock; sessions kept alive past their idle or absolute timeouts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock/index.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { bearer, post, registerAndLogin, STRONG_PASSWORD, type Tokens } from '../support/identity.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
let platform: TestPlatform;
const events: string[] = [];

beforeAll(async () => {
  // This suite plays attacker and victim from one address; the network layer's adaptive limits
  // (tested on their own in test/e2e/network-*) would rightly throttle that address.
  platform = await startTestPlatform({}, {
    clock,
    capabilities: { network: { config: { adaptive: { weights: { 'auth-failure': 0, 'signature-invalid': 0, 'rate-limited': 0, 'detection-alert': 0, anomaly: 0, 'auth-success': 0, 'good-standing': 0 } } } } },
  });
  platform.events.subscribe('test', (e) => { events.push(e.type); });
});
afterAll(async () => platform.stop());

const refresh = (token: string) => post(platform.app, '/v1/auth/refresh', { refreshToken: token });
const me = (token: string) => platform.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(token) });

describe('refresh-token rotation', () => {
  it('rotates: the new pair works and the old refresh token dies', async () => {
    const { tokens } = await registerAndLogin(platform.app);
    const res = await refresh(tokens.refreshToken);
    expect(res.statusCode).toBe(200);
    const next = res.json() as Tokens;
    expect(next.refreshToken).not.toBe(tokens.refreshToken);
    expect(next.refreshToken).toMatch(/^q2r_[A-Za-z0-9_-]{43}$/); // 256-bit opaque
    expect((await me(next.accessToken)).statusCode).toBe(200);
  });

  it('detects reuse: 401 AUTH_REFRESH_REUSED, the family (newest token included) and its access tokens die, an event is raised', async () => {
    const { tokens } = await registerAndLogin(platform.app);
    const rotated = (await refresh(tokens.refreshToken)).json() as Tokens;
    const replay = await refresh(tokens.refreshToken);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('AUTH_REFRESH_REUSED');
    const newest = await refresh(rotated.refreshToken);
    expect(newest.statusCode).toBe(401);
    expect((await me(rotated.accessToken)).json().code).toBe('AUTH_TOKEN_REVOKED');
    await platform.events.drain();
    expect(events).toContain('auth.refresh.reused');
  });

  it('lets exactly one of two concurrent refreshes of one token win', async () => {
    const { tokens } = await registerAndLogin(platform.app);
    const results = await Promise.all([refresh(tokens.refreshToken), refresh(tokens.refreshToken)]);
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 401]);
    expect(results.find((r) => r.statusCode === 401)!.json().code).toBe('AUTH_REFRESH_REUSED');
  });

  it('refuses a made-up refresh token', async () => {
    const res = await refresh('q2r_' + 'A'.repeat(43));
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_TOKEN_INVALID');
  });
});

describe('revocation of access tokens at once', () => {
  it('kills the access token at logout', async () => {
    const { tokens } = await registerAndLogin(platform.app);
    expect((await me(tokens.accessToken)).statusCode).toBe(200);
    const out = await platform.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(tokens.accessToken) });
    expect(out.statusCode).toBe(204);
    const res = await me(tokens.accessToken);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_TOKEN_REVOKED');
    expect((await refresh(tokens.refreshToken)).statusCode).toBe(401);
  });

  it('kills every session and access token of the user on password change', async () => {
    const first = await registerAndLogin(platform.app);
    const second = (await post(platform.app, '/v1/auth/login', { email: first.email, password: STRONG_PASSWORD })).json() as Tokens;
    clock.advance(1_000);
    const change = await platform.app.inject({
      method: 'POST', url: '/v1/me/password', headers: { ...bearer(first.tokens.accessToken), 'content-type': 'application/json' },
      payload: { currentPassword: STRONG_PASSWORD, newPassword: 'another-Strong-passphrase-42' },
    });
    expect(change.statusCode, change.body).toBe(204);
    for (const t of [first.tokens, second]) {
      expect((await me(t.accessToken)).json().code).toBe('AUTH_TOKEN_REVOKED');
      expect((await refresh(t.refreshToken)).statusCode).toBe(401);
    }
    const old = await post(platform.app, '/v1/auth/login', { email: first.email, password: STRONG_PASSWORD });
    expect(old.json().code).toBe('AUTH_INVALID_CREDENTIALS');
    expect((await post(platform.app, '/v1/auth/login', { email: first.email, password: 'another-Strong-passphrase-42' })).statusCode).toBe(200);
  });

  it('lets a user list and revoke their own sessions, and answers 404 for someone else\'s', async () => {
    const alice = await registerAndLogin(platform.app);
    const second = (await post(platform.app, '/v1/auth/login', { email: alice.email, password: STRONG_PASSWORD })).json() as Tokens;
    const list = await platform.app.inject({ method: 'GET', url: '/v1/me/sessions', headers: bearer(alice.tokens.accessToken) });
    expect(list.statusCode).toBe(200);
    const sessions = list.json() as { id: string; current: boolean; ip: string }[];
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    expect(sessions[0]!.ip).toBe('127.0.0.1');
    const other = sessions.find((s) => !s.current)!;
    const bob = await registerAndLogin(platform.app);
    const foreign = await platform.app.inject({ method: 'DELETE', url: `/v1/me/sessions/${other.id}`, headers: bearer(bob.tokens.accessToken) });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().code).toBe('NOT_FOUND');
    expect((await me(second.accessToken)).statusCode).toBe(200);
    const del = await platform.app.inject({ method: 'DELETE', url: `/v1/me/sessions/${other.id}`, headers: bearer(alice.tokens.accessToken) });
    expect(del.statusCode).toBe(204);
    expect((await me(second.accessToken)).json().code).toBe('AUTH_TOKEN_REVOKED');
  });
});

describe('session timeouts and limits', () => {
  it('ends a session idle for more than 30 minutes, but not one idle for 29', async () => {
    const { tokens } = await registerAndLogin(platform.app);
    clock.advance(29 * 60_000);
    const alive = await refresh(tokens.refreshToken);
    expect(alive.statusCode).toBe(200);
    clock.advance(30 * 60_000 + 1_000);
    const dead = await refresh((alive.json() as Tokens).refreshToken);
    expect(dead.statusCode).toBe(401);
    expect(dead.json().code).toBe('AUTH_TOKEN_EXPIRED');
  });

  it('ends a session at the 12-hour absolute timeout however active it is', async () => {
    let { tokens } = await registerAndLogin(platform.app);
    for (let elapsed = 0; elapsed < 12 * 60; elapsed += 20) {
      clock.advance(20 * 60_000);
      const res = await refresh(tokens.refreshToken);
      if (elapsed + 20 >= 12 * 60) {
        expect(res.statusCode).toBe(401);
        expect(res.json().code).toBe('AUTH_TOKEN_EXPIRED');
        return;
      }
      expect(res.statusCode, `at ${elapsed + 20} min`).toBe(200);
      tokens = res.json() as Tokens;
    }
    throw new Error('absolute timeout never reached');
  });

  it('caps concurrent sessions at 5 by evicting the oldest', async () => {
    const first = await registerAndLogin(platform.app);
    const logins: Tokens[] = [first.tokens];
    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      logins.push((await post(platform.app, '/v1/auth/login', { email: first.email, password: STRONG_PASSWORD })).json() as Tokens);
    }
    expect((await me(logins[0]!.accessToken)).json().code).toBe('AUTH_TOKEN_REVOKED');
    for (const t of logins.slice(1)) expect((await me(t.accessToken)).statusCode).toBe(200);
    const list = await platform.app.inject({ method: 'GET', url: '/v1/me/sessions', headers: bearer(logins[5]!.accessToken) });
    expect(list.json()).toHaveLength(5);
  });
});
