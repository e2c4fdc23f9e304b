/**
 * Threat: slowloris — many TLS connections that send their request headers one byte at a
 * time to exhaust the server's sockets. Property: one address holds at most the per-address
 * cap (the rest are closed at once, before the TLS handshake), every slow connection is closed
 * by the header deadline without an answer, and legitimate clients and /healthz are served
 * throughout. Real TLS sockets from loopback source addresses against the real platform with
 * its default configuration; the test waits on socket events, bounded by deadlines.
 */
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_NETWORK_CONFIG } from '../../src/modules/network/index.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const { maxPerIp, firstRequestDeadlineMs, checkIntervalMs } = DEFAULT_NETWORK_CONFIG.connections;
const ATTACKERS = ['127.0.0.2', '127.0.0.3'];
const PER_ATTACKER = maxPerIp + 40;

let platform: TestPlatform;
let port: number;
const events: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  port = Number(new URL(await platform.listen()).port);
  platform.events.subscribe('test', (e) => { events.push(`${e.type} ${e.target}`); });
});
afterAll(async () => platform.stop());

interface SlowSocket { handshake: boolean; answered: boolean; openMs: Promise<number> }

function slowClient(localAddress: string): SlowSocket {
  const started = performance.now();
  const state = { handshake: false, answered: false };
  const raw = net.connect({ host: '127.0.0.1', port, localAddress });
  raw.on('error', () => undefined);
  const socket = tls.connect({ socket: raw, servername: 'localhost', rejectUnauthorized: false });
  const header = Buffer.from('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa');
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  socket.on('error', () => undefined);
  socket.on('data', () => { state.answered = true; });
  socket.once('secureConnect', () => {
    state.handshake = true;
    timer = setInterval(() => { if (sent < header.length) socket.write(header.subarray(sent, ++sent)); }, 200);
  });
  const openMs = new Promise<number>((resolve) => socket.once('close', () => {
    clearInterval(timer);
    resolve(performance.now() - started);
  }));
  return Object.assign(state, { openMs });
}

function legit(path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false, localAddress: '127.0.0.1', timeout: 3_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

describe('slowloris over TLS', () => {
  it('caps each address, drops every trickling connection at the deadline, and keeps serving others', async () => {
    const attack = ATTACKERS.flatMap((address) => Array.from({ length: PER_ATTACKER }, () => slowClient(address)));
    const during: number[] = [];
    const polling = (async () => {
      const until = performance.now() + firstRequestDeadlineMs - 1_000;
      while (performance.now() < until) {
        during.push(await legit('/healthz'), await legit('/v1/no-such-route'));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const lifetimes = await Promise.all(attack.map((s) => s.openMs));
    await polling;

    const held = attack.filter((s) => s.handshake);
    // Each address got at most its cap of sockets; everything beyond was closed at once.
    expect(held.length).toBeLessThanOrEqual(ATTACKERS.length * maxPerIp);
    expect(attack.length - held.length).toBeGreaterThanOrEqual(ATTACKERS.length * (PER_ATTACKER - maxPerIp));
    // Every held socket was closed by the server (the client never closes), with no answer.
    expect(held.every((s) => !s.answered)).toBe(true);
    const heldLifetimes = lifetimes.filter((_, i) => attack[i]!.handshake);
    expect(Math.min(...heldLifetimes)).toBeGreaterThanOrEqual(firstRequestDeadlineMs - 50);
    expect(Math.max(...heldLifetimes)).toBeLessThan(firstRequestDeadlineMs + checkIntervalMs + 3_000);
    // Legitimate requests were all answered during the attack.
    expect(during.length).toBeGreaterThan(0);
    expect(during.filter((s) => s === 200 || s === 404)).toHaveLength(during.length);
    expect(await legit('/healthz')).toBe(200);
    await platform.events.drain();
    for (const address of ATTACKERS) {
      expect(events).toContain(`network.connection_refused ${address}`);
      expect(events).toContain(`network.slow_client_dropped ${address}`);
    }
  }, 60_000);
});
