/**
 * Socket-level guards against a real server on loopback. Deadlines are real time by nature;
 * they are set short here and the test waits on socket events, never on fixed sleeps.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { PassThrough } from 'node:stream';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../lib/errors/index.js';
import { createConnectionGuard, type ConnectionGuard } from './connections.js';

let server: http.Server;
let guard: ConnectionGuard;
let port: number;
const refused: string[] = [];
const dropped: string[] = [];

beforeAll(async () => {
  guard = createConnectionGuard({
    config: { maxPerIp: 3, firstRequestDeadlineMs: 300, minBodyBytesPerSecond: 100, bodyGraceMs: 200, checkIntervalMs: 50 },
    isTrustedPeer: (ip) => ip === '127.0.0.9',
    onRefused: (ip) => refused.push(ip),
    onDropped: (ip, reason) => dropped.push(`${ip} ${reason}`),
  });
  server = http.createServer((req, res) => {
    const body = guard.watchBody(req, req, () => res.setHeader('connection', 'close'));
    let size = 0;
    body.on('data', (c: Buffer) => { size += c.length; });
    body.on('end', () => res.end(`ok ${size}`));
    body.on('error', (error) => {
      res.statusCode = isAppError(error) ? error.status : 500;
      res.end(isAppError(error) ? error.code : 'bug');
    });
  });
  guard.install(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  guard.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function connect(localAddress: string): Promise<net.Socket & { closedAt: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    const closedAt = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(Object.assign(socket, { closedAt })));
    socket.once('error', reject);
  });
}

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms))]);

describe('per-address connection cap', () => {
  it('closes connections beyond the cap from one address, not from others or trusted proxies', async () => {
    const flood = await Promise.all(Array.from({ length: 5 }, () => connect('127.0.0.3')));
    const closed = await Promise.all(flood.map((s) => within(s.closedAt, 200, 'close').then(() => true, () => false)));
    expect(closed.filter(Boolean)).toHaveLength(2);
    expect(guard.openFrom('127.0.0.3')).toBe(3);
    expect(refused).toEqual(['127.0.0.3', '127.0.0.3']);
    const proxied = await Promise.all(Array.from({ length: 5 }, () => connect('127.0.0.9')));
    const other = await connect('127.0.0.4');
    expect(guard.openFrom('127.0.0.9')).toBe(0);
    for (const s of [...flood, ...proxied, other]) s.destroy();
  });
});

describe('first-request deadline (slowloris)', () => {
  it('drops a connection whose headers trickle in, and spares one that completed its request', async () => {
    const slow = await connect('127.0.0.5');
    slow.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const tick = setInterval(() => slow.write('X-a: b\r\n'), 50);
    const fast = await connect('127.0.0.6');
    const answer = new Promise<string>((resolve) => fast.once('data', (d) => resolve(d.toString())));
    fast.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1.1 200/);
    await within(slow.closedAt, 2_000, 'slow client dropped');
    clearInterval(tick);
    expect(dropped).toContain('127.0.0.5 slow-headers');
    expect(fast.destroyed).toBe(false);
    fast.destroy();
  });
});

describe('minimum body rate', () => {
  it('answers a body dripping below the minimum rate with 408 and closes the connection', async () => {
    const s = await connect('127.0.0.7');
    let out = '';
    s.on('data', (d) => { out += d.toString(); });
    s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
    const tick = setInterval(() => s.write('a'), 100);
    await within(s.closedAt, 3_000, 'slow body cut');
    clearInterval(tick);
    expect(out).toMatch(/^HTTP\/1.1 408/);
    expect(out).toContain('REQUEST_TIMEOUT');
    expect(out.toLowerCase()).toContain('connection: close');
    expect(dropped).toContain('127.0.0.7 slow-body');
  });

  it('lets a complete body through', async () => {
    const res = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', localAddress: '127.0.0.8', headers: { 'content-length': 5 } }, (r) => {
        let t = '';
        r.on('data', (d) => { t += d; });
        r.on('end', () => resolve(t));
      });
      req.on('error', reject);
      req.end('hello');
    });
    expect(res).toBe('ok 5');
  });
});

describe('a body no one reads any more', () => {
  it('is dropped quietly when it turns slow, without an unhandled error that would crash the process', async () => {
    const lone = createConnectionGuard({
      config: { maxPerIp: 3, firstRequestDeadlineMs: 300, minBodyBytesPerSecond: 100, bodyGraceMs: 50, checkIntervalMs: 20 },
      isTrustedPeer: () => false, onRefused: () => undefined, onDropped: (ip, reason) => dropped.push(`${ip} ${reason}`),
    });
    const idle = http.createServer();
    lone.install(idle);
    try {
      // The handler answers at once (as a 415 or a validation error does) and never reads the body.
      const request = Object.assign(new EventEmitter(), { socket: { remoteAddress: '127.0.0.5' } }) as unknown as http.IncomingMessage;
      const payload = new PassThrough();
      const body = lone.watchBody(request, payload, () => undefined);
      const closed = new Promise<void>((resolve) => body.once('close', resolve));
      await closed; // destroyed by the sweep once past the grace period with no bytes
      expect(body.destroyed).toBe(true);
    } finally {
      lone.close();
      idle.close();
    }
  });
});
