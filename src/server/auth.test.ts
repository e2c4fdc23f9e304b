import { describe, expect, it } from 'vitest';
import type { Principal } from '../lib/auth/index.js';
import { hasRecentMfa, STEP_UP_WINDOW_MS } from './auth.js';

const now = Date.UTC(2026, 11, 4, 12);
const user = (amr: string[], ageMs = 0, kind: Principal['kind'] = 'user'): Principal =>
  ({ kind, userId: 'u1', roles: ['trader'], amr, authTime: now - ageMs });

describe('step-up rule (SPEC §3)', () => {
  it.each([
    [['pwd', 'otp', 'mfa']], [['hwk', 'user', 'mfa']], [['hwk', 'user']], [['pwd', 'otp']], [['pwd', 'sms']],
  ])('accepts a fresh multi-factor authentication %j', (amr) => {
    expect(hasRecentMfa(user(amr), now)).toBe(true);
  });

  it.each([[['pwd']], [['otp']], [['hwk']], [[]], [['pwd', 'pwd']]])('refuses a single factor %j', (amr) => {
    expect(hasRecentMfa(user(amr), now)).toBe(false);
  });

  it('expires exactly after 5 minutes', () => {
    expect(hasRecentMfa(user(['pwd', 'otp', 'mfa'], STEP_UP_WINDOW_MS), now)).toBe(true);
    expect(hasRecentMfa(user(['pwd', 'otp', 'mfa'], STEP_UP_WINDOW_MS + 1), now)).toBe(false);
  });

  it('never applies to API keys, whatever amr they carry', () => {
    expect(hasRecentMfa(user(['pwd', 'otp', 'mfa'], 0, 'apikey'), now)).toBe(false);
  });
});
