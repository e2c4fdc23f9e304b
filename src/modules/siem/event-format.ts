/**
 * Maps one SecurityEvent to the syslog line sent to the SIEM: RFC 5424 envelope (facility
 * authpriv) carrying either a CEF record or an ECS JSON document.
 */
import type { SecurityEvent } from '../../lib/events/index.js';
import { formatCef } from './cef.js';
import { formatEcs, safeJson } from './ecs.js';
import { formatRfc5424 } from './rfc5424.js';

export type SiemFormat = 'cef' | 'ecs';

export interface EventFormatOptions {
  format: SiemFormat;
  hostname: string;
  procId: string;
}

const AUTHPRIV = 10;
// Syslog severity (lower is worse) and CEF severity (higher is worse) by outcome.
const SYSLOG_SEVERITY: Record<SecurityEvent['outcome'], number> = { denied: 4, failure: 4, success: 6, info: 6 };
const CEF_SEVERITY: Record<SecurityEvent['outcome'], number> = { denied: 7, failure: 6, success: 3, info: 2 };

export function eventToCef(event: SecurityEvent): string {
  const ext: Record<string, string> = {
    rt: String(event.time),
    suser: event.actor,
    outcome: event.outcome,
  };
  if (event.target !== null) Object.assign(ext, { duser: event.target });
  if (event.ip !== null) Object.assign(ext, { src: event.ip });
  if (event.requestId !== null) Object.assign(ext, { externalId: event.requestId });
  if (Object.keys(event.details).length > 0) Object.assign(ext, { cs1Label: 'details', cs1: safeJson(event.details) });
  return formatCef({
    vendor: 'Q2', product: 'q2', version: '1', classId: event.type, name: event.type,
    severity: CEF_SEVERITY[event.outcome],
  }, ext);
}

export function formatEventLine(event: SecurityEvent, options: EventFormatOptions): string {
  return formatRfc5424({
    facility: AUTHPRIV,
    severity: SYSLOG_SEVERITY[event.outcome],
    time: event.time,
    hostname: options.hostname,
    appName: 'q2',
    procId: options.procId,
    msgId: event.type,
    msg: options.format === 'cef' ? eventToCef(event) : formatEcs(event),
  });
}
