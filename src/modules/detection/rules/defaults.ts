/**
 * The default rule set (SPEC §7 intrusion detection): brute force, credential stuffing, token
 * reuse, signature-failure bursts, risk-rejection bursts and a takeover sequence. Event names
 * are the emitters' (identity auth-service, session-service, apikeys authenticator, trading
 * events). Thresholds sit just past what the legitimate path produces: the identity guard
 * allows 5 free account failures and 20 per IP before locking.
 */
import type { DetectionRule } from './types.js';
import { validateRules } from './validate.js';

const LOGIN_FAILED = { types: ['auth.login'], outcomes: ['failure'] } as const;

export const DEFAULT_RULES: readonly DetectionRule[] = validateRules([
  {
    id: 'brute-force.account', version: 1, kind: 'threshold', title: 'Repeated failed logins against one account',
    severity: 'high', windowMs: 15 * 60_000, match: LOGIN_FAILED, groupBy: 'target', count: 5,
  },
  {
    id: 'brute-force.ip', version: 1, kind: 'threshold', title: 'Repeated failed logins from one address',
    severity: 'medium', windowMs: 10 * 60_000, match: LOGIN_FAILED, groupBy: 'ip', count: 20,
  },
  {
    // Many accounts tried from one address: the shape of a leaked-credential list being replayed.
    id: 'credential-stuffing', version: 1, kind: 'distinct', title: 'Failed logins to many accounts from one address',
    severity: 'high', windowMs: 10 * 60_000, match: LOGIN_FAILED, groupBy: 'ip', field: 'target', count: 5,
  },
  {
    // A rotated refresh token presented again means one copy was stolen (RFC 9700 §4.14.2).
    id: 'token-reuse', version: 1, kind: 'single', title: 'Refresh token reused',
    severity: 'critical', windowMs: 10 * 60_000, match: { types: ['auth.refresh.reused'] }, groupBy: 'actor',
  },
  {
    id: 'signature-failure-burst', version: 1, kind: 'threshold', title: 'Burst of bad request signatures from one address',
    severity: 'medium', windowMs: 60_000, match: { types: ['signature.invalid', 'signature.expired', 'signature.replay'] },
    groupBy: 'ip', count: 10,
  },
  {
    id: 'risk-rejection-burst', version: 1, kind: 'threshold', title: 'Burst of risk-rejected orders from one account',
    severity: 'medium', windowMs: 60_000, match: { types: ['risk.rejected'] }, groupBy: 'actor', count: 10,
  },
  {
    // Guessing, then getting in, then minting a durable credential: a takeover establishing persistence.
    id: 'takeover.apikey-after-guessing', version: 1, kind: 'sequence', title: 'Failed login, login, then API key creation',
    severity: 'high', windowMs: 60 * 60_000,
    steps: [
      { match: LOGIN_FAILED, groupBy: 'target' },
      { match: { types: ['auth.login'], outcomes: ['success'] }, groupBy: 'actor' },
      { match: { types: ['apikey.created'] }, groupBy: 'actor' },
    ],
  },
]);
