/**
 * RFC 5424 syslog messages and their transport framing: RFC 5425 / RFC 6587 octet counting
 * (`MSG-LEN SP SYSLOG-MSG`) for TLS and TCP, one message per datagram for UDP (RFC 5426).
 */
export interface SyslogMessage {
  /** 0–23; 10 = security/authorization (authpriv). */
  facility: number;
  /** 0 (emergency) – 7 (debug). */
  severity: number;
  /** Unix ms. */
  time: number;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  /** SD-ID → params; values are escaped here. */
  structuredData?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  msg: string;
}

/** Header fields are PRINTUSASCII (33–126) with a length cap; anything else becomes `_`. */
function headerField(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** SD names exclude `=`, SP, `]` and `"` as well (RFC 5424 §6.3.2). */
function sdName(value: string): string {
  return value.replace(/[^\x21-\x7e]|[= \]"]/g, '_').slice(0, 32) || '_';
}

export function escapeSdValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

export function formatStructuredData(sd: SyslogMessage['structuredData']): string {
  if (!sd || Object.keys(sd).length === 0) return '-';
  return Object.entries(sd).map(([id, params]) => {
    const body = Object.entries(params).map(([k, v]) => ` ${sdName(k)}="${escapeSdValue(v)}"`).join('');
    return `[${sdName(id)}${body}]`;
  }).join('');
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

export function formatRfc5424(m: SyslogMessage): string {
  const pri = Math.trunc(m.facility) * 8 + Math.trunc(m.severity);
  const header = [
    `<${pri}>1`,
    new Date(m.time).toISOString(),
    headerField(m.hostname, 255),
    headerField(m.appName, 48),
    headerField(m.procId, 128),
    headerField(m.msgId, 32),
    formatStructuredData(m.structuredData),
  ].join(' ');
  // RFC 5424 §6.4: a UTF-8 MSG must start with the BOM; pure ASCII may go without.
  const msg = NON_ASCII.test(m.msg) ? `\ufeff${m.msg}` : m.msg;
  return msg === '' ? header : `${header} ${msg}`;
}

/** RFC 5425 §4.3: MSG-LEN is the octet count of the UTF-8 message, not its character count. */
export function frameOctetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
