import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../lib/events/index.js';
import { DEFAULT_NETWORK_CONFIG } from './config.js';
import { clientIpKey } from './ip.js';
import { signalFromEvent } from './signals.js';

const weights = DEFAULT_NETWORK_CONFIG.adaptive.weights;
const event = (e: Partial<SecurityEvent>): SecurityEvent => ({
  type: 'x', time: 0, actor: 'anonymous', target: null, outcome: 'info', ip: '192.0.2.1', requestId: 'r', details: {}, ...e,
});
const map = (e: Partial<SecurityEvent>) => signalFromEvent(event(e), (ip) => clientIpKey(ip), weights);

describe('signals from security events', () => {
  it('raises the source address on an evaluated login failure, never the targeted account', () => {
    expect(map({ type: 'auth.login', outcome: 'failure', actor: 'victim-user-id' })).toEqual({ kind: 'auth-failure', subjects: ['ip:192.0.2.1'] });
    expect(map({ type: 'mfa.totp.failed', outcome: 'failure', actor: 'u1' })).toEqual({ kind: 'auth-failure', subjects: ['ip:192.0.2.1'] });
  });

  it('ignores refusals already made, and registrations (no enumeration through limits)', () => {
    expect(map({ type: 'auth.throttled', outcome: 'denied' })).toBeNull();
    expect(map({ type: 'auth.register', outcome: 'denied' })).toBeNull();
    expect(map({ type: 'auth.register', outcome: 'failure' })).toBeNull();
  });

  it('counts a bad signature for the address and the API key', () => {
    expect(map({ type: 'apikey.signature', outcome: 'failure', actor: 'apikey:k1' })).toEqual({ kind: 'signature-invalid', subjects: ['ip:192.0.2.1', 'apikey:k1'] });
  });

  it('weights detection alerts by severity and anomalies by score', () => {
    expect(map({ type: 'detection.alert', details: { severity: 'critical', userId: 'u9' } }))
      .toEqual({ kind: 'detection-alert', subjects: ['ip:192.0.2.1', 'user:u9'], weight: weights['detection-alert'] * 2 });
    // What the detection module actually emits for a rule hit.
    expect(map({ type: 'alert.raised', details: { severity: 'high', ruleId: 'brute-force.ip' } }))
      .toEqual({ kind: 'detection-alert', subjects: ['ip:192.0.2.1'], weight: weights['detection-alert'] });
    expect(map({ type: 'detection.anomaly', details: { score: 12 } })).toEqual({ kind: 'anomaly', subjects: ['ip:192.0.2.1'], weight: 12 });
    expect(map({ type: 'detection.anomaly', details: { score: 'high' } })).toBeNull();
  });

  it('rewards a completed login, more so with multiple factors', () => {
    expect(map({ type: 'auth.login', outcome: 'success', actor: 'u1', details: { amr: ['pwd'] } })).toEqual({ kind: 'auth-success', subjects: ['ip:192.0.2.1', 'user:u1'] });
    expect(map({ type: 'auth.login', outcome: 'success', actor: 'u1', details: { amr: ['pwd', 'otp'] } })).toEqual({ kind: 'good-standing', subjects: ['ip:192.0.2.1', 'user:u1'] });
  });

  it('never feeds on its own events', () => {
    expect(map({ type: 'network.rate_limited', outcome: 'failure' })).toBeNull();
  });
});
