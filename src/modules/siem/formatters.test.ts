/**
 * CEF (ArcSight escaping), RFC 5424 and RFC 5425 framing against ../shared/vectors/cef_syslog.json,
 * plus the escapes that keep a hostile field from forging a field or a record.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { escapeCefExtension, formatCef, type CefHeader } from './cef.js';
import { formatEcs } from './ecs.js';
import { eventToCef, formatEventLine } from './event-format.js';
import { formatRfc5424, frameOctetCounted } from './rfc5424.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const vectors = JSON.parse(readFileSync(path.resolve(repoRoot, '../shared/vectors/cef_syslog.json'), 'utf8')) as {
  cef: { header: CefHeader; extension: Record<string, string>; line: string }[];
  rfc5424: { example: string };
};

const event = {
  type: 'auth.login', time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), actor: 'u|1=\\x', target: 'line1\nline2\r',
  outcome: 'denied' as const, ip: '10.0.0.1', requestId: 'req-1', details: { reason: 'a=b|c\\d\ne', n: 5n },
};

describe('CEF', () => {
  it.each(vectors.cef.map((v) => [v.line, v] as const))('matches vector %s', (_line, v) => {
    expect(formatCef(v.header, v.extension)).toBe(v.line);
  });

  it('escapes CR and LF in extension values so a value cannot end the record', () => {
    expect(escapeCefExtension('a\nb\rc')).toBe('a\\nb\\rc');
    expect(formatCef({ vendor: 'V', product: 'P', version: '1', classId: 'c', name: 'n\nx', severity: 99 }, { msg: 'x\ny' }))
      .toBe('CEF:0|V|P|1|c|n x|10|msg=x\\ny');
  });

  it('rejects extension keys that could inject a key=value pair', () => {
    expect(() => formatCef({ vendor: 'V', product: 'P', version: '1', classId: 'c', name: 'n', severity: 1 }, { 'a b=c': 'x' }))
      .toThrow(/invalid CEF extension key/);
  });

  it('maps a security event with hostile fields to a single-line record', () => {
    const line = eventToCef(event);
    expect(line).not.toMatch(/[\r\n]/);
    expect(line).toContain('suser=u|1\\=\\\\x');
    expect(line).toContain('duser=line1\\nline2\\r');
    expect(line).toContain('cs1={"reason":"a\\=b|c\\\\\\\\d\\\\ne","n":"5"}');
  });
});

describe('RFC 5424 / 5425', () => {
  it('builds the header of the RFC example', () => {
    const line = formatRfc5424({
      facility: 4, severity: 2, time: Date.UTC(2003, 9, 11, 22, 14, 15, 3), hostname: 'mymachine.example.com',
      appName: 'su', procId: '', msgId: 'ID47', msg: "'su root' failed for lonvick on /dev/pts/8",
    });
    expect(line).toBe(vectors.rfc5424.example.replace('BOM', ''));
  });

  it('starts a non-ASCII MSG with the UTF-8 BOM and counts octets, not characters, in the frame', () => {
    const line = formatRfc5424({ facility: 10, severity: 6, time: 0, hostname: 'h', appName: 'a', procId: '1', msgId: 'm', msg: 'é' });
    expect(line.endsWith(' \ufeffé')).toBe(true);
    const frame = frameOctetCounted(line);
    const body = Buffer.from(line, 'utf8');
    expect(frame.toString('utf8')).toBe(`${body.length} ${line}`);
    expect(body.length).toBeGreaterThan(line.length);
  });

  it('keeps header fields printable and space-free and escapes SD values', () => {
    const line = formatRfc5424({
      facility: 10, severity: 4, time: 0, hostname: 'evil host\n', appName: '', procId: '1', msgId: 'x'.repeat(40),
      structuredData: { 'q2@1': { v: 'a"b\\c]d' } }, msg: 'm',
    });
    expect(line).toBe(`<84>1 1970-01-01T00:00:00.000Z evil_host_ - 1 ${'x'.repeat(32)} [q2@1 v="a\\"b\\\\c\\]d"] m`);
  });

  it('wraps events as authpriv with severity by outcome, in CEF or ECS', () => {
    const cef = formatEventLine(event, { format: 'cef', hostname: 'h', procId: '7' });
    expect(cef.startsWith('<84>1 2026-01-02T03:04:05.006Z h q2 7 auth.login - CEF:0|Q2|q2|1|auth.login|auth.login|7|')).toBe(true);
    const ecs = formatEventLine({ ...event, outcome: 'success' }, { format: 'ecs', hostname: 'h', procId: '7' });
    expect(ecs.startsWith('<86>1 ')).toBe(true);
    const doc = JSON.parse(ecs.slice(ecs.indexOf(' - ') + 3)) as Record<string, unknown>;
    expect(doc).toMatchObject({ user: { id: 'u|1=\\x', target: { id: 'line1\nline2\r' } }, q2: { details: { reason: 'a=b|c\\d\ne', n: '5' } } });
    expect(formatEcs(event)).not.toMatch(/[\r\n]/);
  });
});
