// Q2 console: sign-in and passkeys. A browser session (X-Q2-Client: browser) keeps the tokens in
// HttpOnly __Host- cookies that no script can read; this page only holds the session's CSRF
// token, in memory, and sends it on every state-changing request. WebAuthn uses the browser's
// JSON helpers (WebAuthn Level 3), so no binary juggling is needed here. Admins, security and
// compliance users get the live alerts panel (alerts.js).
import { startAlertsPanel } from './alerts.js';

let csrfToken = null;
let mfaToken = null;
let stopAlerts = null;

const $ = (id) => document.getElementById(id);
const status = (text) => { $('status').textContent = text; };

async function api(path, body) {
  const headers = { 'x-q2-client': 'browser' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (body !== undefined && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, { method: body === undefined ? 'GET' : 'POST', headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const json = res.status === 204 ? {} : await res.json();
  if (!res.ok) throw new Error(json.code || `HTTP ${res.status}`);
  return json;
}

async function signedIn(session) {
  csrfToken = session.csrfToken;
  const me = await api('/v1/me');
  $('who').textContent = `Signed in as ${me.email}`;
  $('passkey-register').disabled = false;
  const roles = me.roles || [];
  if (!stopAlerts && roles.some((r) => r === 'admin' || r === 'security' || r === 'compliance')) {
    stopAlerts = startAlertsPanel({ api, status, canAck: roles.includes('admin') || roles.includes('security') });
  }
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const result = await api('/v1/auth/login', { email: $('email').value, password: $('password').value });
    if (!result.csrfToken) {
      mfaToken = result.mfaRequired ? result.mfaToken : null;
      $('mfa').hidden = !mfaToken;
      status(result.mfaRequired ? 'Second factor required' : 'MFA enrollment required');
      return;
    }
    await signedIn(result);
    status('Signed in with password');
  } catch (error) { status(`Sign-in failed: ${error.message}`); }
});

$('mfa').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const result = await api('/v1/auth/mfa/verify', { mfaToken, method: 'totp', code: $('mfa-code').value });
    mfaToken = null;
    $('mfa').hidden = true;
    await signedIn(result);
    status('Signed in with a second factor');
  } catch (error) { status(`Verification failed: ${error.message}`); }
});

$('passkey-register').addEventListener('click', async () => {
  try {
    const options = await api('/v1/me/mfa/webauthn/options', {});
    const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
    await api('/v1/me/mfa/webauthn/verify', { response: credential.toJSON() });
    status('Passkey added');
  } catch (error) { status(`Passkey registration failed: ${error.message}`); }
});

$('passkey-login').addEventListener('click', async () => {
  try {
    csrfToken = null;
    const { challengeKey, options } = await api('/v1/auth/passkey/options', {});
    const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
    await signedIn(await api('/v1/auth/passkey/verify', { challengeKey, assertion: credential.toJSON() }));
    status('Signed in with passkey');
  } catch (error) { status(`Passkey sign-in failed: ${error.message}`); }
});
