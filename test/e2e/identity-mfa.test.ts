/**
 * Multi-factor login end to end through the HTTP API: TOTP enrollment and login, backup codes,
 * email codes through a real SMTP server, step-up, the forced enrollment of privileged roles and
 * the `mfaToken` as a single-purpose token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { createManualClock } from '../../src/lib/clock/index.js';
import { base32Decode, totp } from '../../src/modules/mfa/index.js';
import type { Identity } from '../../src/modules/identity/capability.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { bearer, post, registerAndLogin, STRONG_PASSWORD, uniqueEmail, type Tokens } from '../support/identity.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
let platform: TestPlatform;
let smtp: SMTPServer;
const mailbox: { to: string; body: string }[] = [];

const code = (secret: string, at = clock.now()) => totp(base32Decode(secret)!, at, { algorithm: 'SHA1', digits: 6, periodS: 30, t0S: 0 });
const me = (token: string) => platform.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(token) });

async function enrolTotp(tokens: Tokens): Promise<{ secret: string; backupCodes: string[] }> {
  const start = await platform.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: { ...bearer(tokens.accessToken), 'content-type': 'application/json' }, payload: {} });
  expect(start.statusCode, start.body).toBe(200);
  const { secret, otpauthUri } = start.json() as { secret: string; otpauthUri: string };
  expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/Q2:.+\?secret=[A-Z2-7]+&issuer=Q2&algorithm=SHA1&digits=6&period=30$/);
  const confirm = await platform.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers: { ...bearer(tokens.accessToken), 'content-type': 'application/json' }, payload: { code: code(secret) } });
  expect(confirm.statusCode, confirm.body).toBe(200);
  const { backupCodes } = confirm.json() as { backupCodes: string[] };
  clock.advance(30_000); // next TOTP step, so later logins do not reuse the enrollment code
  return { secret, backupCodes };
}

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, session, callback) {
      let body = '';
      stream.on('data', (d: Buffer) => { body += d.toString(); });
      stream.on('end', () => { mailbox.push({ to: session.envelope.rcptTo[0]?.address ?? '', body }); callback(); });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  platform = await startTestPlatform({ Q2_SMTP_URL: `smtp://127.0.0.1:${port}` }, { clock });
});
afterAll(async () => {
  await platform.stop();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

describe('TOTP', () => {
  it('enrols, then requires and accepts a TOTP code at login; 10 backup codes are shown once', async () => {
    const alice = await registerAndLogin(platform.app);
    const { secret, backupCodes } = await enrolTotp(alice.tokens);
    expect(backupCodes).toHaveLength(10);
    expect(new Set(backupCodes).size).toBe(10);

    const login = await post(platform.app, '/v1/auth/login', { email: alice.email, password: STRONG_PASSWORD });
    expect(login.statusCode).toBe(200);
    const pending = login.json() as { mfaRequired: boolean; mfaToken: string; methods: string[] };
    expect(pending.mfaRequired).toBe(true);
    expect(pending.methods).toEqual(expect.arrayContaining(['totp', 'backup_code', 'email']));
    expect(pending).not.toHaveProperty('accessToken');

    const verify = await post(platform.app, '/v1/auth/mfa/verify', { mfaToken: pending.mfaToken, method: 'totp', code: code(secret) });
    expect(verify.statusCode, verify.body).toBe(200);
    const tokens = verify.json() as Tokens;
    const claims = JSON.parse(Buffer.from(tokens.accessToken.split('.')[1]!, 'base64url').toString()) as { amr: string[] };
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect((await me(tokens.accessToken)).json()).toMatchObject({ mfaMethods: expect.arrayContaining(['totp']) });
  });

  it('refuses the same TOTP code a second time (replay), and the mfaToken is single-use', async () => {
    const bob = await registerAndLogin(platform.app);
    const { secret } = await enrolTotp(bob.tokens);
    const first = (await post(platform.app, '/v1/auth/login', { email: bob.email, password: STRONG_PASSWORD })).json() as { mfaToken: string };
    const current = code(secret);
    expect((await post(platform.app, '/v1/auth/mfa/verify', { mfaToken: first.mfaToken, method: 'totp', code: current })).statusCode).toBe(200);
    const again = await post(platform.app, '/v1/auth/mfa/verify', { mfaToken: first.mfaToken, method: 'totp', code: current });
    expect(again.statusCode).toBe(401);
    const second = (await post(platform.app, '/v1/auth/login', { email: bob.email, password: STRONG_PASSWORD })).json() as { mfaToken: string };
    const replay = await post(platform.app, '/v1/auth/mfa/verify', { mfaToken: second.mfaToken, method: 'totp', code: current });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('AUTH_MFA_INVALID');
  });

  it('refuses the mfaToken as a bearer access token', async () => {
    const carol = await registerAndLogin(platform.app);
    await enrolTotp(carol.tokens);
    const { mfaToken } = (await post(platform.app, '/v1/auth/login', { email: carol.email, password: STRONG_PASSWORD })).json() as { mfaToken: string };
    const res = await me(mfaToken);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_TOKEN_INVALID');
  });

  it('needs a recent second factor (step-up) to change MFA once enrolled', async () => {
    const dave = await registerAndLogin(platform.app);
    const { secret } = await enrolTotp(dave.tokens);
    const { mfaToken } = (await post(platform.app, '/v1/auth/login', { email: dave.email, password: STRONG_PASSWORD })).json() as { mfaToken: string };
    const tokens = (await post(platform.app, '/v1/auth/mfa/verify', { mfaToken, method: 'totp', code: code(secret) })).json() as Tokens;
    clock.advance(6 * 60_000);
    const stale = await platform.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: { ...bearer(tokens.accessToken), 'content-type': 'application/json' }, payload: {} });
    expect(stale.statusCode).toBe(403);
    expect(stale.json().code).toBe('AUTH_STEP_UP_REQUIRED');
    const stepUp = await platform.app.inject({ method: 'POST', url: '/v1/me/step-up', headers: { ...bearer(tokens.accessToken), 'content-type': 'application/json' }, payload: { method: 'totp', code: code(secret) } });
    expect(stepUp.statusCode, stepUp.body).toBe(200);
    const fresh = (stepUp.json() as { accessToken: string }).accessToken;
    const claims = JSON.parse(Buffer.from(fresh.split('.')[1]!, 'base64url').toString()) as { auth_time: number };
    expect(claims.auth_time).toBe(Math.floor(clock.now() / 1000));
  });
});

describe('backup codes', () => {
  it('logs in with a backup code once; the same code is refused the second time', async () => {
    const erin = await registerAndLogin(platform.app);
    const { backupCodes } = await enrolTotp(erin.tokens);
    const use = async () => {
      const { mfaToken } = (await post(platform.app, '/v1/auth/login', { email: erin.email, password: STRONG_PASSWORD })).json() as { mfaToken: string };
      return post(platform.app, '/v1/auth/mfa/verify', { mfaToken, method: 'backup_code', code: backupCodes[0] });
    };
    expect((await use()).statusCode).toBe(200);
    const reuse = await use();
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().code).toBe('AUTH_MFA_INVALID');
  });
});

describe('email codes over real SMTP', () => {
  it('sends a code to the account email and accepts it once', async () => {
    const frank = await registerAndLogin(platform.app, uniqueEmail('frank'));
    await enrolTotp(frank.tokens);
    const { mfaToken } = (await post(platform.app, '/v1/auth/login', { email: frank.email, password: STRONG_PASSWORD })).json() as { mfaToken: string };
    const sent = await post(platform.app, '/v1/auth/mfa/email/send', { mfaToken });
    expect(sent.statusCode, sent.body).toBe(202);
    const mail = mailbox.find((m) => m.to === frank.email);
    expect(mail, 'the SMTP server received the message').toBeDefined();
    // The message body only (headers carry ids with digits of their own), soft breaks removed.
    const text = mail!.body.split(/\r?\n\r?\n/).slice(1).join('\n').replace(/=\r?\n/g, '');
    const emailed = /sign-in code is (\d{6,8})\b/.exec(text)?.[1];
    expect(emailed).toBeDefined();
    const ok = await post(platform.app, '/v1/auth/mfa/verify', { mfaToken, method: 'email', code: emailed });
    expect(ok.statusCode, ok.body).toBe(200);
  });
});

describe('privileged roles', () => {
  it('forces MFA enrollment at first login with an enrollmentToken, then issues tokens', async () => {
    const identity = (platform.capabilities.find((c) => c.name === 'identity') as unknown as { identity: Identity }).identity;
    const email = uniqueEmail('admin');
    await identity.users.create({ email, passwordHash: await identity.hasher.hash(STRONG_PASSWORD), roles: ['admin'] });
    const login = (await post(platform.app, '/v1/auth/login', { email, password: STRONG_PASSWORD })).json() as { mfaEnrollmentRequired: boolean; enrollmentToken: string };
    expect(login).toMatchObject({ mfaEnrollmentRequired: true });
    expect(login).not.toHaveProperty('accessToken');
    expect((await me(login.enrollmentToken)).statusCode).toBe(401);
    const start = await post(platform.app, '/v1/me/mfa/totp', { enrollmentToken: login.enrollmentToken });
    expect(start.statusCode, start.body).toBe(200);
    const { secret } = start.json() as { secret: string };
    const confirm = await post(platform.app, '/v1/me/mfa/totp/confirm', { enrollmentToken: login.enrollmentToken, code: code(secret) });
    expect(confirm.statusCode, confirm.body).toBe(200);
    const body = confirm.json() as Tokens & { backupCodes: string[] };
    expect(body.backupCodes).toHaveLength(10);
    expect((await me(body.accessToken)).json()).toMatchObject({ roles: ['admin'] });
    const reuse = await post(platform.app, '/v1/me/mfa/totp/confirm', { enrollmentToken: login.enrollmentToken, code: code(secret) });
    expect(reuse.statusCode).toBe(401);
  });
});
