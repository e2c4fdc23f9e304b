/** The pure 403 decisions of a verified key: allowlist, scope, expiry, in SPEC §4 order. */
import { describe, expect, it } from 'vitest';
import { authorizeKey, type KeyPolicy } from './authorize.js';

const NOW = Date.UTC(2026, 0, 1);
const key = (overrides: Partial<KeyPolicy> = {}): KeyPolicy => ({ scopes: ['read', 'trade'], ipAllowlist: [], expiresAt: null, ...overrides });

describe('authorizeKey', () => {
  it('allows a key without allowlist or expiry on a route whose scopes it holds', () => {
    expect(authorizeKey(key(), { ip: '203.0.113.5', requiredScopes: ['trade'], now: NOW })).toEqual({ ok: true });
  });

  it.each([
    ['10.0.0.0/8', '10.200.1.1', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['192.0.2.7/32', '::ffff:192.0.2.7', true],
    ['192.0.2.7/32', 'not-an-ip', false],
  ])('allowlist %s and client %s → allowed %s', (cidr, ip, allowed) => {
    const decision = authorizeKey(key({ ipAllowlist: [cidr] }), { ip, requiredScopes: ['trade'], now: NOW });
    expect(decision.ok).toBe(allowed);
    if (!decision.ok) expect(decision.code).toBe('APIKEY_IP_FORBIDDEN');
  });

  it('refuses a route that does not accept API keys, and a scope the key lacks', () => {
    expect(authorizeKey(key(), { ip: '192.0.2.1', requiredScopes: undefined, now: NOW }))
      .toEqual({ ok: false, code: 'APIKEY_SCOPE_FORBIDDEN', reason: 'this route does not accept API keys' });
    expect(authorizeKey(key({ scopes: ['read'] }), { ip: '192.0.2.1', requiredScopes: ['read', 'withdraw'], now: NOW }))
      .toEqual({ ok: false, code: 'APIKEY_SCOPE_FORBIDDEN', reason: 'this API key lacks the withdraw scope' });
  });

  it('refuses a withdraw key without an allowlist on a withdraw route (never "anywhere")', () => {
    expect(authorizeKey(key({ scopes: ['withdraw'] }), { ip: '192.0.2.1', requiredScopes: ['withdraw'], now: NOW }))
      .toMatchObject({ ok: false, code: 'APIKEY_IP_FORBIDDEN' });
    expect(authorizeKey(key({ scopes: ['withdraw'], ipAllowlist: ['192.0.2.0/24'] }), { ip: '192.0.2.1', requiredScopes: ['withdraw'], now: NOW }).ok).toBe(true);
  });

  it('expires at expiresAt exactly', () => {
    const expiring = key({ expiresAt: NOW + 1000 });
    expect(authorizeKey(expiring, { ip: '192.0.2.1', requiredScopes: ['read'], now: NOW + 999 }).ok).toBe(true);
    expect(authorizeKey(expiring, { ip: '192.0.2.1', requiredScopes: ['read'], now: NOW + 1000 })).toMatchObject({ code: 'APIKEY_EXPIRED' });
  });

  it('reports address before scope before expiry', () => {
    const bad = key({ scopes: ['read'], ipAllowlist: ['10.0.0.0/8'], expiresAt: NOW - 1 });
    expect(authorizeKey(bad, { ip: '192.0.2.1', requiredScopes: ['trade'], now: NOW })).toMatchObject({ code: 'APIKEY_IP_FORBIDDEN' });
    expect(authorizeKey(bad, { ip: '10.0.0.1', requiredScopes: ['trade'], now: NOW })).toMatchObject({ code: 'APIKEY_SCOPE_FORBIDDEN' });
    expect(authorizeKey(bad, { ip: '10.0.0.1', requiredScopes: ['read'], now: NOW })).toMatchObject({ code: 'APIKEY_EXPIRED' });
  });
});
