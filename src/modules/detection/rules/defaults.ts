/**
 * The default rule set (SPEC §7 intrusion detection): brute force, credential stuffing, token
 * reuse, signature-failure bursts, risk-rejection bursts, a takeover sequence, impossible
 * travel, new country / new device, and high behavioural-anomaly scores. Event names
 * are the emitters' (identity auth-service, session-service, apikeys authenticator, trading
 * events). Thresholds sit just past what the legitimate path produces: the identity guard
 * allows 5 free account failures and 20 per IP before locking.
 */
import type { DetectionRule } from './types.js';
import { validateRules } from './validate.js';

const LOGIN_FAILED = { types: ['auth.login'], outcomes: ['failure'] } as const;
const LOGIN_OK = { types: ['auth.login'], outcomes: ['success'] } as const;
const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

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
    // v2 counts identity's pseudonymous account key, which unknown emails carry too (v1: target).
    id: 'credential-stuffing', version: 2, kind: 'distinct', title: 'Failed logins to many accounts from one address',
    severity: 'high', windowMs: 10 * 60_000, match: LOGIN_FAILED, groupBy: 'ip', field: 'details.accountKey', count: 5,
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
      { match: LOGIN_OK, groupBy: 'actor' },
      { match: { types: ['apikey.created'] }, groupBy: 'actor' },
    ],
  },
  {
    // Faster than an airliner between two logins of one user, over more than a nearby-city distance.
    id: 'impossible-travel', version: 1, kind: 'travel', title: 'Logins from places too far apart for the time between them',
    severity: 'high', windowMs: DAY, match: LOGIN_OK, groupBy: 'actor', maxKmh: 1_000, minKm: 500,
  },
  {
    id: 'new-country', version: 1, kind: 'new-value', title: 'Login from a country never seen for this user',
    severity: 'medium', windowMs: HOUR, match: LOGIN_OK, groupBy: 'actor', field: 'geo.country',
    minHistory: 5, maxValues: 20, historyMs: 90 * DAY,
  },
  {
    // `details.device` is identity's keyed fingerprint of the User-Agent, never the header itself.
    id: 'new-device', version: 1, kind: 'new-value', title: 'Login from a device never seen for this user',
    severity: 'low', windowMs: HOUR, match: LOGIN_OK, groupBy: 'actor', field: 'details.device',
    minHistory: 5, maxValues: 20, historyMs: 90 * DAY,
  },
  {
    // The baselines mark `level: high` when the anomaly score reaches their alert threshold.
    id: 'behaviour-anomaly', version: 1, kind: 'single', title: 'Behaviour far from the user\'s baseline',
    severity: 'high', windowMs: HOUR, match: { types: ['detection.anomaly'], details: { level: 'high' } }, groupBy: 'details.userId',
  },
]);
