/**
 * Transports against local sockets. Threats: a stalled collector hanging export forever (events
 * never spooled), a frame boundary that disagrees with the octet count, a bad format silently
 * falling back.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

import { siemFormatOf } from './capability.js';
import { createSyslogTransport, parseSyslogUrl } from './transport.js';

const servers: net.Server[] = [];
const peers: net.Socket[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

async function listen(onSocket: (s: net.Socket) => void, pauseOnConnect = false): Promise<number> {
  const server = net.createServer({ pauseOnConnect }, (s) => { peers.push(s); onSocket(s); });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('syslog transports', () => {
  it('parses URLs with RFC default ports', () => {
    expect(parseSyslogUrl('tls://siem.example')).toEqual({ protocol: 'tls', host: 'siem.example', port: 6514 });
    expect(parseSyslogUrl('udp://[::1]')).toEqual({ protocol: 'udp', host: '::1', port: 514 });
    expect(parseSyslogUrl('tcp://10.0.0.1:1514?format=ecs')).toEqual({ protocol: 'tcp', host: '10.0.0.1', port: 1514 });
    expect(() => parseSyslogUrl('http://x')).toThrow(/unsupported/);
  });

  it('rejects an unknown payload format instead of guessing', () => {
    expect(siemFormatOf('tcp://h:1')).toBe('cef');
    expect(siemFormatOf('tcp://h:1?format=ecs')).toBe('ecs');
    expect(() => siemFormatOf('tcp://h:1?format=xml')).toThrow(/cef or ecs/);
  });

  it('TCP frames each message with its UTF-8 octet count and reconnects after the peer closes', async () => {
    const received: Buffer[] = [];
    const port = await listen((s) => { s.on('data', (d: Buffer) => received.push(d)); });
    const transport = createSyslogTransport(`tcp://127.0.0.1:${port}`);
    await transport.send('é|x');
    await transport.send('two');
    await transport.close();
    await transport.send('after reconnect');
    await transport.close();
    const deadline = Date.now() + 5_000;
    while (!Buffer.concat(received).toString().includes('after reconnect') && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(received).toString('utf8')).toBe('4 é|x3 two15 after reconnect');
  });

  it('fails (so the exporter spools) instead of hanging when the collector stops reading', async () => {
    // pauseOnConnect: the peer never reads, so kernel buffers fill and the write never completes.
    const port = await listen(() => undefined, true);
    const transport = createSyslogTransport(`tcp://127.0.0.1:${port}`, { writeTimeoutMs: 200 });
    const big = 'x'.repeat(1024 * 1024);
    let error: unknown;
    for (let i = 0; i < 64 && error === undefined; i++) {
      try {
        await transport.send(big);
      } catch (e) {
        error = e;
      }
    }
    expect(String(error)).toMatch(/syslog write timeout/);
    await transport.close();
  }, 30_000);

  it('rejects when nothing listens', async () => {
    const port = await listen(() => undefined);
    await new Promise<void>((resolve) => servers.pop()?.close(() => resolve()));
    await expect(createSyslogTransport(`tcp://127.0.0.1:${port}`).send('x')).rejects.toThrow(/ECONNREFUSED/);
  });
});
