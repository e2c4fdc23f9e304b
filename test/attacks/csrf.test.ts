/**
 * Threats: cross-site request forgery against browser sessions, and script access to session
 * tokens. Browser sign-ins put the tokens in `__Host-` cookies (HttpOnly, Secure, SameSite=Strict)
 * and every state-changing cookie request needs the session's X-CSRF-Token (SPEC §2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { post, STRONG_PASSWORD, uniqueEmail } from '../support/identity.js';

let platform: TestPlatform;
beforeAll(async () => { platform = await startTestPlatform(); });
afterAll(async () => platform.stop());

const BROWSER = { 'x-q2-client': 'browser' };

async function browserLogin(): Promise<{ cookie: string; refreshCookie: string; csrf: string; setCookie: string[] }> {
  const email = uniqueEmail('browser');
  expect((await post(platform.app, '/v1/auth/register', { email, password: STRONG_PASSWORD })).statusCode).toBe(201);
  const res = await post(platform.app, '/v1/auth/login', { email, password: STRONG_PASSWORD }, BROWSER);
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as Record<string, unknown>;
  expect(body).toMatchObject({ tokenType: 'Cookie', expiresIn: 900 });
  expect(body).not.toHaveProperty('accessToken');
  expect(body).not.toHaveProperty('refreshToken');
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const pick = (name: string) => setCookie.find((c) => c.startsWith(`${name}=`))!.split(';')[0]!;
  return { cookie: pick('__Host-q2_at'), refreshCookie: pick('__Host-q2_rt'), csrf: body.csrfToken as string, setCookie };
}

const withCookie = (method: 'GET' | 'POST', url: string, cookie: string, headers: Record<string, string> = {}) =>
  platform.app.inject({ method, url, headers: { cookie, ...headers } });

describe('browser sessions', () => {
  it('set the tokens only as __Host- cookies that scripts cannot read and other sites do not send', async () => {
    const { setCookie } = await browserLogin();
    expect(setCookie).toHaveLength(2);
    for (const c of setCookie) {
      expect(c).toMatch(/^__Host-q2_(at|rt)=[^;]+; Path=\/; Secure; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
      expect(c).not.toMatch(/Domain=/i);
    }
  });

  it('serve safe requests from the cookie without a CSRF token', async () => {
    const { cookie } = await browserLogin();
    expect((await withCookie('GET', '/v1/me', cookie)).statusCode).toBe(200);
  });

  it('refuse a state-changing request without the CSRF token, or with another session\'s', async () => {
    const victim = await browserLogin();
    const other = await browserLogin();
    const missing = await withCookie('POST', '/v1/auth/logout', victim.cookie);
    expect(missing.statusCode).toBe(403);
    expect(missing.json().code).toBe('CSRF_FAILED');
    const foreign = await withCookie('POST', '/v1/auth/logout', victim.cookie, { 'x-csrf-token': other.csrf });
    expect(foreign.json().code).toBe('CSRF_FAILED');
    const forged = await withCookie('POST', '/v1/auth/logout', victim.cookie, { 'x-csrf-token': `v1.${'A'.repeat(43)}` });
    expect(forged.json().code).toBe('CSRF_FAILED');
    // Nothing happened: the session is still alive.
    expect((await withCookie('GET', '/v1/me', victim.cookie)).statusCode).toBe(200);
  });

  it('accept the session\'s own CSRF token, clear the cookies at logout and end the session', async () => {
    const { cookie, csrf } = await browserLogin();
    const out = await withCookie('POST', '/v1/auth/logout', cookie, { 'x-csrf-token': csrf });
    expect(out.statusCode).toBe(204);
    expect(([] as string[]).concat(out.headers['set-cookie'] ?? []).every((c) => /Max-Age=0/.test(c))).toBe(true);
    expect((await withCookie('GET', '/v1/me', cookie)).json().code).toBe('AUTH_TOKEN_REVOKED');
  });

  it('rotate the refresh cookie only with the CSRF token, checked before anything rotates', async () => {
    const { refreshCookie, csrf } = await browserLogin();
    const refresh = (headers: Record<string, string>) => platform.app.inject({ method: 'POST', url: '/v1/auth/refresh', headers: { cookie: refreshCookie, 'content-type': 'application/json', ...BROWSER, ...headers }, payload: {} });
    const refused = await refresh({});
    expect(refused.json().code).toBe('CSRF_FAILED');
    const ok = await refresh({ 'x-csrf-token': csrf });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ tokenType: 'Cookie', csrfToken: csrf });
  });

  it('let a sign-in succeed even when the browser still holds a stale or revoked cookie', async () => {
    const { cookie, csrf } = await browserLogin();
    await withCookie('POST', '/v1/auth/logout', cookie, { 'x-csrf-token': csrf });
    const email = uniqueEmail('again');
    expect((await post(platform.app, '/v1/auth/register', { email, password: STRONG_PASSWORD }, { cookie })).statusCode).toBe(201);
    expect((await post(platform.app, '/v1/auth/login', { email, password: STRONG_PASSWORD }, { cookie, ...BROWSER })).statusCode).toBe(200);
  });

  it('never need a CSRF token for bearer requests', async () => {
    const email = uniqueEmail('bearer');
    await post(platform.app, '/v1/auth/register', { email, password: STRONG_PASSWORD });
    const { accessToken } = (await post(platform.app, '/v1/auth/login', { email, password: STRONG_PASSWORD })).json() as { accessToken: string };
    expect((await platform.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { authorization: `Bearer ${accessToken}` } })).statusCode).toBe(204);
  });
});
