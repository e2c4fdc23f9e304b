/**
 * SIEM export benchmarks (docs/BENCHMARKS.md, "SIEM export"): formatting cost per event (CEF and
 * ECS inside RFC 5424), delivered events/s over TCP to a loopback sink counting octet-counted
 * frames, and spooled events/s while the collector is down (each spool append is fsync'd).
 *
 * Run alone: `npm run build && node dist/bench/siem.js` (BENCH_SIEM_EVENTS, default 20,000).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { SecurityEvent } from '../src/lib/events/index.js';
import { createSiemExporter, createSpool, createSyslogTransport, formatEventLine } from '../src/modules/siem/index.js';

const EVENTS = Number(process.env.BENCH_SIEM_EVENTS ?? 20_000);
const OPTS = { hostname: os.hostname(), procId: String(process.pid) };

const event = (n: number): SecurityEvent => ({
  type: 'auth.login', time: 1_700_000_000_000 + n, actor: `user-${n}`, target: `u|${n}=x\\y`, outcome: 'denied',
  ip: '203.0.113.7', requestId: `req-${n}`, details: { reason: 'bad password\nsecond line', attempt: n },
});

function perSecond(count: number, started: bigint): number {
  return Math.round(count / (Number(process.hrtime.bigint() - started) / 1e9));
}

async function deliveredPerSecond(lines: string[]): Promise<number> {
  let frames = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => { done = resolve; });
  // Counts frames by their octet-count prefix, as a collector would de-frame them.
  const sink = net.createServer((socket) => {
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const space = buffer.indexOf(0x20);
        if (space < 0) break;
        const length = Number(buffer.subarray(0, space).toString());
        if (buffer.length < space + 1 + length) break;
        buffer = buffer.subarray(space + 1 + length);
        if (++frames === lines.length) done();
      }
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const { port } = sink.address() as net.AddressInfo;
  const dir = await mkdtemp(join(tmpdir(), 'q2-bench-siem-'));
  const exporter = createSiemExporter({ transport: createSyslogTransport(`tcp://127.0.0.1:${port}`), spool: createSpool(dir) });
  const started = process.hrtime.bigint();
  for (const line of lines) await exporter.submit(line);
  await all;
  const rate = perSecond(lines.length, started);
  await exporter.close();
  sink.close();
  await rm(dir, { recursive: true, force: true });
  return rate;
}

async function spooledPerSecond(lines: string[]): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'q2-bench-siem-'));
  const exporter = createSiemExporter({
    transport: createSyslogTransport('tcp://127.0.0.1:9'), spool: createSpool(dir),
    schedule: () => ({ cancel: () => undefined }),
  });
  const started = process.hrtime.bigint();
  for (const line of lines) await exporter.submit(line);
  const rate = perSecond(lines.length, started);
  await rm(dir, { recursive: true, force: true });
  return rate;
}

export async function benchSiem(): Promise<string> {
  const events = Array.from({ length: EVENTS }, (_, n) => event(n));
  let started = process.hrtime.bigint();
  const cef = events.map((e) => formatEventLine(e, { format: 'cef', ...OPTS }));
  const cefRate = perSecond(EVENTS, started);
  started = process.hrtime.bigint();
  events.forEach((e) => formatEventLine(e, { format: 'ecs', ...OPTS }));
  const ecsRate = perSecond(EVENTS, started);
  const tcpRate = await deliveredPerSecond(cef);
  const spoolRate = await spooledPerSecond(cef.slice(0, Math.min(EVENTS, 2_000)));
  return [
    '| measurement | events/s |', '|---|---:|',
    `| format CEF in RFC 5424 | ${cefRate.toLocaleString('en-US')} |`,
    `| format ECS JSON in RFC 5424 | ${ecsRate.toLocaleString('en-US')} |`,
    `| delivered over TCP (loopback sink, one write per event) | ${tcpRate.toLocaleString('en-US')} |`,
    `| spooled to disk, collector down (fsync per event) | ${spoolRate.toLocaleString('en-US')} |`,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  void benchSiem().then((table) => process.stdout.write(table));
}
