/**
 * `q2_security_events_total{type,outcome}`: every security event counted by type and outcome,
 * which is what the dashboards need for auth attempts by outcome, failed-login share and MFA
 * usage (SPEC §7 /metrics) without each module keeping its own counter. Types are fixed strings
 * in the code, never client input, so the label set stays bounded.
 */
import { Counter, type Registry } from 'prom-client';

import type { SecurityEvent } from '../../../lib/events/index.js';

export function createSecurityEventCounter(metrics: Registry): (event: SecurityEvent) => void {
  const counter = new Counter({
    name: 'q2_security_events_total', help: 'Security events by type and outcome (auth.login, mfa.*.verified, …)',
    labelNames: ['type', 'outcome'] as const, registers: [metrics],
  });
  return (event) => counter.inc({ type: event.type, outcome: event.outcome });
}
