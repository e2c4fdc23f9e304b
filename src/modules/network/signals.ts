/**
 * Where risk signals come from besides direct `recordSignal` calls: the security event stream.
 * Other capabilities already emit what matters (failed logins, bad signatures, detection
 * alerts); mapping their events here keeps them free of any dependency on this module.
 *
 * Failures raise the risk of the source address only, never of the targeted account: an
 * attacker guessing a victim's password must not tighten the victim's own limits (the
 * identity module's lockout handles the account). Signals about an authenticated actor
 * (`apikey:<id>`, a user id) count for that actor.
 */
import type { SecurityEvent } from '../../lib/events/index.js';
import type { SignalKind } from './config.js';

export interface MappedSignal {
  kind: SignalKind;
  /** Client keys the signal applies to (`ip:…`, `user:…`, `apikey:…`). */
  subjects: string[];
  weight?: number;
}

/**
 * Only evaluated failures count. 'denied' outcomes are refusals already made (a throttle, a
 * lock), and counting them would feed refusals back into more refusals; `auth.register` is
 * excluded because a taken email must not become observable through tighter limits.
 */
const failed = (event: SecurityEvent) => event.outcome === 'failure';

function numberDetail(event: SecurityEvent, name: string): number | undefined {
  const value = event.details[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Severity → weight multiplier for detection alerts (the configured weight is for `high`). */
const SEVERITY: Readonly<Record<string, number>> = { low: 0.25, medium: 0.5, high: 1, critical: 2 };

/**
 * The signal an event carries, if any. `ipKey` turns an address into its client key.
 * Events of this module (`network.*`) never feed back.
 */
export function signalFromEvent(event: SecurityEvent, ipKey: (ip: string) => string, weights: Readonly<Record<SignalKind, number>>): MappedSignal | null {
  if (event.type.startsWith('network.')) return null;
  const ipSubject = event.ip ? [ipKey(event.ip)] : [];
  const actor = event.actor.startsWith('apikey:') ? [event.actor] : [];

  if (event.type.includes('signature') && failed(event)) return { kind: 'signature-invalid', subjects: [...ipSubject, ...actor] };
  if ((event.type.startsWith('auth.') || event.type.startsWith('mfa.')) && !event.type.startsWith('auth.register') && failed(event)) {
    return ipSubject.length ? { kind: 'auth-failure', subjects: ipSubject } : null;
  }
  // `alert.raised` is what the detection module emits for each rule hit (src/modules/detection).
  if (event.type === 'alert.raised' || event.type === 'detection.alert') {
    const severity = typeof event.details.severity === 'string' ? SEVERITY[event.details.severity] ?? 1 : 1;
    const user = typeof event.details.userId === 'string' ? [`user:${event.details.userId}`] : [];
    return { kind: 'detection-alert', subjects: [...ipSubject, ...user], weight: weights['detection-alert'] * severity };
  }
  if (event.type === 'detection.anomaly') {
    const score = numberDetail(event, 'score');
    if (score === undefined || score <= 0) return null;
    const user = typeof event.details.userId === 'string' ? [`user:${event.details.userId}`] : [];
    return { kind: 'anomaly', subjects: [...ipSubject, ...user], weight: weights.anomaly * score };
  }
  // A completed multi-factor login is the good behaviour that earns an address and an account trust.
  if (event.type === 'auth.login' && event.outcome === 'success' && event.actor !== 'anonymous') {
    const mfa = Array.isArray(event.details.amr) && event.details.amr.length > 1;
    return { kind: mfa ? 'good-standing' : 'auth-success', subjects: [...ipSubject, `user:${event.actor}`] };
  }
  return null;
}
