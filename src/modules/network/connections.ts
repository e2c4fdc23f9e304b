/**
 * Connection-level flood and slow-client protection, before TLS and HTTP parsing cost anything:
 *
 * - a cap on simultaneous TCP connections per peer address (a slowloris from one host cannot
 *   hold more than `maxPerIp` sockets); trusted proxies are exempt, as every client shares them;
 * - a deadline from TCP accept to the end of the first request's headers, TLS handshake
 *   included (Node's own headersTimeout only starts after the handshake, whose default limit
 *   is 120 s, and is enforced by a 30 s sweep);
 * - a minimum body rate once a body has had `bodyGraceMs` to arrive.
 *
 * One timer per server checks every pending socket and body, instead of a timer per socket.
 */
import type { Server as NetServer, Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { AppError } from '../../lib/errors/index.js';
import type { ConnectionConfig } from './config.js';

export interface ConnectionGuardOptions {
  config: ConnectionConfig;
  isTrustedPeer(ip: string): boolean;
  onRefused(ip: string, open: number): void;
  onDropped(ip: string, reason: 'slow-headers' | 'slow-body'): void;
  /** Monotonic milliseconds; socket deadlines are real time by nature. */
  now?: () => number;
}

export interface ConnectionGuard {
  install(server: NetServer): void;
  /** Wraps a request body stream so a body slower than the minimum rate fails with 408. */
  watchBody(request: IncomingMessage, payload: Readable, onSlow: () => void, response?: ServerResponse): Readable;
  openFrom(ip: string): number;
  close(): void;
}

interface WatchedBody {
  ip: string;
  started: number;
  bytes: number;
  stream: Transform;
  onSlow(): void;
}

/** The TCP socket under a TLS socket (Node keeps it as `_parent`), or the socket itself. */
function rawSocketOf(socket: Socket): Socket {
  return (socket as Socket & { _parent?: Socket })._parent ?? socket;
}

export function createConnectionGuard(options: ConnectionGuardOptions): ConnectionGuard {
  const { config } = options;
  const now = options.now ?? (() => performance.now());
  const open = new Map<string, number>();
  const awaitingHeaders = new Map<Socket, { ip: string; since: number }>();
  const bodies = new Set<WatchedBody>();
  let timer: NodeJS.Timeout | undefined;

  function sweep(): void {
    const t = now();
    for (const [socket, { ip, since }] of awaitingHeaders) {
      if (t - since < config.firstRequestDeadlineMs) continue;
      awaitingHeaders.delete(socket);
      options.onDropped(ip, 'slow-headers');
      socket.destroy();
    }
    for (const body of bodies) {
      const elapsed = t - body.started;
      if (elapsed < config.bodyGraceMs || body.bytes * 1000 >= config.minBodyBytesPerSecond * elapsed) continue;
      bodies.delete(body);
      options.onDropped(body.ip, 'slow-body');
      body.onSlow();
      body.stream.destroy(new AppError('REQUEST_TIMEOUT', 'The request body arrived too slowly.'));
    }
  }

  function onConnection(socket: Socket): void {
    const ip = socket.remoteAddress ?? '';
    if (!options.isTrustedPeer(ip)) {
      const count = (open.get(ip) ?? 0) + 1;
      if (count > config.maxPerIp) {
        options.onRefused(ip, count - 1);
        socket.destroy();
        return;
      }
      open.set(ip, count);
      socket.once('close', () => {
        const left = (open.get(ip) ?? 1) - 1;
        if (left <= 0) open.delete(ip);
        else open.set(ip, left);
      });
    }
    awaitingHeaders.set(socket, { ip, since: now() });
    socket.once('close', () => awaitingHeaders.delete(socket));
  }

  function onRequest(request: IncomingMessage): void {
    awaitingHeaders.delete(rawSocketOf(request.socket));
  }

  return {
    install(server) {
      // Prepended so a refused socket is destroyed before the TLS layer wraps it.
      server.prependListener('connection', onConnection);
      server.prependListener('request', onRequest);
      timer = setInterval(sweep, config.checkIntervalMs);
      timer.unref();
    },
    watchBody(request, payload, onSlow, response) {
      const entry: WatchedBody = { ip: request.socket.remoteAddress ?? '', started: now(), bytes: 0, stream: undefined as unknown as Transform, onSlow };
      const done = () => bodies.delete(entry);
      entry.stream = new Transform({
        transform(chunk: Buffer, _encoding, callback: TransformCallback) {
          entry.bytes += chunk.length;
          (entry.stream as Transform & { receivedEncodedLength?: number }).receivedEncodedLength = entry.bytes;
          callback(null, chunk);
        },
      });
      entry.stream.once('end', done).once('close', done);
      // The timeout error goes to whoever still reads the body (Fastify answers it with 408). A
      // body no one reads any more must not turn it into an unhandled 'error', which would take
      // the whole process down: this listener makes that case a quiet destroy.
      entry.stream.on('error', () => undefined);
      // A request answered before its body was read (413, a validation error) is no longer
      // slow-client business: stop watching it when the exchange is over.
      request.once('close', done);
      response?.once('finish', done).once('close', done);
      payload.once('error', (error) => entry.stream.destroy(error));
      bodies.add(entry);
      return payload.pipe(entry.stream);
    },
    openFrom: (ip) => open.get(ip) ?? 0,
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      awaitingHeaders.clear();
      bodies.clear();
    },
  };
}
