/**
 * Threat: a client that trickles a request body to hold a handler's socket and buffers (the
 * body half of slowloris). Property: through the real platform, a body slower than the
 * configured minimum rate is cut with 408 REQUEST_TIMEOUT and the connection closed, while a
 * GET without a body and a normal POST are served. Deadlines are short (configured) and the
 * test waits on socket events, never on fixed sleeps.
 */
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let port: number;

function routes(app: FastifyInstance): void {
  app.post('/v1/test/echo', { config: { rateLimit: 'read' } }, async (request) => ({ size: JSON.stringify(request.body).length }));
  app.get('/v1/test/ping', { config: { rateLimit: 'read' } }, async () => ({ ok: true }));
}

beforeAll(async () => {
  platform = await startTestPlatform({}, {
    routes: [routes], insecureHttp: true,
    capabilities: { network: { config: { connections: { minBodyBytesPerSecond: 100, bodyGraceMs: 200, checkIntervalMs: 50 } } } },
  });
  const url = await platform.listen();
  port = Number(new URL(url).port);
});
afterAll(async () => platform?.stop());

/** Sends `head`, then `drip` one byte every 100 ms until the server closes; returns what it answered. */
function exchange(head: string, drip: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => { socket.destroy(); reject(new Error(`no answer; so far: ${answer}`)); }, 10_000);
    socket.on('data', (d) => {
      answer += d.toString();
      if (!drip && answer.includes('\r\n\r\n')) socket.end();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(deadline);
      resolve(answer);
    });
    socket.on('connect', () => {
      socket.write(head);
      if (drip) timer = setInterval(() => socket.write('a'), 100);
    });
  });
}

describe('minimum body rate through the platform', () => {
  it('cuts a trickling body with 408 REQUEST_TIMEOUT and closes the connection', async () => {
    const answer = await exchange('POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n', true);
    expect(answer).toMatch(/^HTTP\/1.1 408/);
    expect(answer).toContain('REQUEST_TIMEOUT');
    expect(answer.toLowerCase()).toContain('connection: close');
  });

  it('serves a complete body and a bodiless GET as usual', async () => {
    const post = await exchange('POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{"a":1}', false);
    expect(post).toMatch(/^HTTP\/1.1 200/);
    const get = await exchange('GET /v1/test/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', false);
    expect(get).toMatch(/^HTTP\/1.1 200/);
  });
});
