/**
 * SIEM export end to end against a real rsyslogd (own config, loopback ports) that writes every
 * raw message it receives to a file this test reads. Threats: a field carrying `|`, `=`, `\` or a
 * newline forging CEF fields or whole syslog records in the SIEM; events silently lost while
 * the collector is down; export to an unauthenticated TLS endpoint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { SecurityEvent } from '../../src/lib/events/index.js';
import {
  createSiemExporter, createSpool, createSyslogTransport, formatEventLine, type SiemCapability,
} from '../../src/modules/siem/index.js';
import { ensureDevelopmentCertificate } from '../../src/server/tls.js';
import { startTestPlatform } from '../support/platform.js';

const LINE_OPTS = { hostname: os.hostname(), procId: String(process.pid) };

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const canConnect = (port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
  s.on('error', () => resolve(false));
});

interface Rsyslog { dir: string; tcp: number; udp: number; tls: number; ca: string; lines(): string[]; stop(): Promise<void> }

async function startRsyslog(ports: { tcp?: number } = {}): Promise<Rsyslog> {
  const dir = await mkdtemp(path.join(tmpdir(), 'q2-rsyslog-'));
  const { cert } = await ensureDevelopmentCertificate(dir);
  const [tcp, udp, tls] = [ports.tcp ?? await freePort(), await freePort(), await freePort()];
  const out = path.join(dir, 'out.log');
  const t = path.join(dir, 'tls');
  await writeFile(path.join(dir, 'rsyslog.conf'), [
    `global(workDirectory="${dir}" maxMessageSize="64k" defaultNetstreamDriverCAFile="${t}/cert.pem"`,
    `  defaultNetstreamDriverCertFile="${t}/cert.pem" defaultNetstreamDriverKeyFile="${t}/key.pem")`,
    'module(load="imptcp")',
    'module(load="imudp")',
    'module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")',
    // The raw message exactly as received (after de-framing): what "intact" is checked against.
    'template(name="raw" type="string" string="%rawmsg%\\n")',
    `input(type="imptcp" address="127.0.0.1" port="${tcp}")`,
    `input(type="imudp" address="127.0.0.1" port="${udp}")`,
    `input(type="imtcp" address="127.0.0.1" port="${tls}")`,
    `action(type="omfile" file="${out}" template="raw")`,
  ].join('\n'));
  const child: ChildProcess = spawn('rsyslogd', ['-n', '-f', path.join(dir, 'rsyslog.conf'), '-i', path.join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
  const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter((l) => l !== '') : []);
  try {
    await waitFor('rsyslog TCP and TLS inputs', async () => ((await canConnect(tcp)) && (await canConnect(tls)) ? true : undefined));
    // UDP has no handshake: probe until rsyslog has written a datagram, so the input is known live.
    const probe = dgram.createSocket('udp4');
    await waitFor('rsyslog UDP input', async () => {
      await new Promise<void>((resolve) => probe.send('<13>1 - - - - - udp-probe', udp, '127.0.0.1', () => resolve()));
      return lines().some((l) => l.includes('udp-probe')) ? true : undefined;
    });
    probe.close();
  } catch (error) {
    child.kill();
    throw new Error(`rsyslogd did not start: ${String(error)}\n${output}`);
  }
  return {
    dir, tcp, udp, tls, ca: cert, lines,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Events whose fields carry every character CEF and syslog framing must neutralise. */
const hostile = (marker: string) => ({
  type: 'siem.test', actor: `user|${marker}`, target: 'a=b\\c\nforged: <13>1 - - - - - injected',
  outcome: 'denied' as const, ip: '10.0.0.1', requestId: marker,
  details: { note: 'pipe | equals = backslash \\ newline \n cr \r end', marker },
});

/** Minimal CEF reader (header split on unescaped `|`, extension keys at ` key=`), to prove round-trip. */
function parseCef(line: string): { header: string[]; ext: Record<string, string> } {
  const header: string[] = [];
  let i = 0;
  let field = '';
  while (header.length < 7) {
    const c = line[i++];
    if (c === '\\') field += line[i++];
    else if (c === '|') { header.push(field); field = ''; } else field += c;
  }
  const ext: Record<string, string> = {};
  for (const part of line.slice(i).split(/ (?=[A-Za-z0-9_]+=)/)) {
    const eq = part.indexOf('=');
    ext[part.slice(0, eq)] = part.slice(eq + 1).replace(/\\(.)/g, (_m, ch: string) => (ch === 'n' ? '\n' : ch === 'r' ? '\r' : ch));
  }
  return { header, ext };
}

let rsyslog: Rsyslog;
beforeAll(async () => { rsyslog = await startRsyslog(); }, 30_000);
afterAll(async () => { await rsyslog.stop(); });

const received = (marker: string, count = 1) => waitFor(`${count} line(s) with ${marker}`, () => {
  const found = rsyslog.lines().filter((l) => l.includes(marker));
  return found.length >= count ? found : undefined;
});

describe('SIEM export to rsyslog', () => {
  it('TCP + CEF: hostile fields arrive intact, one record each, and round-trip', async () => {
    const platform = await startTestPlatform({ Q2_SYSLOG_URL: `tcp://127.0.0.1:${rsyslog.tcp}` });
    try {
      const sent = platform.events.emit(hostile('tcp-cef-1'));
      await platform.events.drain();
      const [line] = await received('tcp-cef-1');
      expect(line).toBe(formatEventLine(sent, { format: 'cef', ...LINE_OPTS }));
      expect(rsyslog.lines().some((l) => l.includes('injected') && !l.includes('tcp-cef-1'))).toBe(false);
      const cef = parseCef((line as string).slice((line as string).indexOf('CEF:0|')));
      expect(cef.header[5]).toBe('siem.test');
      expect(cef.ext).toMatchObject({ suser: 'user|tcp-cef-1', duser: sent.target, src: '10.0.0.1', externalId: 'tcp-cef-1' });
      expect(JSON.parse(cef.ext.cs1 as string)).toEqual(sent.details);
    } finally {
      await platform.stop();
    }
  }, 30_000);

  it('UDP + ECS (?format=ecs): the JSON document arrives intact', async () => {
    const platform = await startTestPlatform({ Q2_SYSLOG_URL: `udp://127.0.0.1:${rsyslog.udp}?format=ecs` });
    try {
      const sent = platform.events.emit(hostile('udp-ecs-1'));
      await platform.events.drain();
      const [line] = await received('udp-ecs-1');
      expect(line).toBe(formatEventLine(sent, { format: 'ecs', ...LINE_OPTS }));
      const doc = JSON.parse((line as string).slice((line as string).indexOf(' - {') + 3)) as Record<string, unknown>;
      expect(doc).toMatchObject({ event: { action: 'siem.test' }, user: { id: 'user|udp-ecs-1', target: { id: sent.target } }, q2: { details: sent.details } });
    } finally {
      await platform.stop();
    }
  }, 30_000);

  it('TLS (RFC 5425 octet counting, rsyslog gtls): delivered when the collector certificate is trusted', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'q2-siem-tls-'));
    const exporter = createSiemExporter({
      transport: createSyslogTransport(`tls://127.0.0.1:${rsyslog.tls}`, { ca: rsyslog.ca }),
      spool: createSpool(dir),
    });
    const events = [1, 2, 3].map((n) => ({ ...hostile(`tls-${n}`), time: 1_700_000_000_000 + n, ip: null }) as SecurityEvent);
    for (const e of events) await exporter.submit(formatEventLine(e, { format: 'cef', ...LINE_OPTS }));
    await exporter.close();
    const lines = await received('tls-', 3);
    expect(lines).toEqual(events.map((e) => formatEventLine(e, { format: 'cef', ...LINE_OPTS })));
    await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('TLS: an untrusted collector certificate is refused and the event is spooled, not sent', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'q2-siem-tls-'));
    const exporter = createSiemExporter({
      transport: createSyslogTransport(`tls://127.0.0.1:${rsyslog.tls}`), spool: createSpool(dir),
      schedule: () => ({ cancel: () => undefined }),
    });
    await exporter.submit(formatEventLine({ ...hostile('tls-untrusted'), time: 1, ip: null } as SecurityEvent, { format: 'cef', ...LINE_OPTS }));
    expect(exporter.stats()).toMatchObject({ sent: 0, spooled: 1, failures: 1 });
    expect(await createSpool(dir).readAll()).toHaveLength(1);
    expect(rsyslog.lines().some((l) => l.includes('tls-untrusted'))).toBe(false);
    await rm(dir, { recursive: true, force: true });
  });

  it('collector down: events are spooled under <dataDir>/siem-spool and replayed, in order, after restart', async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'q2-siem-down-'));
    const env = { Q2_DATA_DIR: dataDir, Q2_SYSLOG_URL: `tcp://127.0.0.1:${port}` };
    const first = await startTestPlatform(env);
    const sent = [1, 2, 3].map((n) => first.events.emit(hostile(`down-${n}`)));
    await first.events.drain();
    const siem = first.capabilities.find((c) => c.name === 'siem') as SiemCapability;
    expect(siem.exporter?.stats().sent).toBe(0);
    await first.close();
    const spooled = await createSpool(path.join(dataDir, 'siem-spool')).readAll();
    expect(spooled.filter((l) => l.includes('down-'))).toEqual(sent.map((e) => formatEventLine(e, { format: 'cef', ...LINE_OPTS })));

    const collector = await startRsyslog({ tcp: port });
    const second = await startTestPlatform(env);
    try {
      const later = second.events.emit(hostile('down-4'));
      await second.events.drain();
      const lines = await waitFor('replayed lines', () => {
        const found = collector.lines().filter((l) => l.includes('down-'));
        return found.length >= 4 ? found : undefined;
      });
      expect(lines).toEqual([...sent, later].map((e) => formatEventLine(e, { format: 'cef', ...LINE_OPTS })));
      expect(existsSync(path.join(dataDir, 'siem-spool', 'spool.jsonl'))).toBe(false);
    } finally {
      await second.stop();
      await collector.stop();
    }
  }, 60_000);
});
