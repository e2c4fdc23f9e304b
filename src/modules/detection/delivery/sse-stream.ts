/**
 * One server-sent events response (WHATWG HTML §9.2 `text/event-stream`). The socket's own write
 * buffer is the connection's queue, bounded by `maxBufferedBytes`: a console that stops reading
 * (or a peer that vanished without a FIN) is disconnected once its backlog passes the bound, so
 * it can never make the server hold an unbounded amount of memory. Heartbeat comments keep
 * proxies from timing the stream out and reveal dead peers.
 */
import type { ServerResponse } from 'node:http';

import type { LiveEvent } from './live-event.js';

export type StreamEndReason = 'client' | 'slow' | 'shutdown' | 'lifetime';

export interface SseStreamOptions {
  raw: ServerResponse;
  heartbeatMs: number;
  maxBufferedBytes: number;
  /** The stream ends after this long; the client reconnects and is authenticated afresh. */
  maxLifetimeMs: number;
  /** Client reconnection delay announced with `retry:`. */
  retryMs: number;
  onEnd(reason: StreamEndReason): void;
}

export interface SseStream {
  send(event: LiveEvent): void;
  /** An event without id (it is no point to resume from), e.g. `reset` when replay is impossible. */
  notice(type: string, data: unknown): void;
  end(reason: StreamEndReason): void;
}

// Event names go on their own line of the wire format: never a CR/LF or anything unexpected.
const EVENT_NAME = /^[a-z][a-z0-9_.-]{0,99}$/;

export function frameOf(event: LiveEvent): string | null {
  if (!EVENT_NAME.test(event.type) || /[\r\n]/.test(event.id)) return null;
  // JSON.stringify escapes line breaks inside strings, so the payload is one `data:` line.
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data ?? null)}\n\n`;
}

export function openSseStream(options: SseStreamOptions): SseStream {
  const { raw } = options;
  let ended = false;
  const timers: NodeJS.Timeout[] = [];

  const end = (reason: StreamEndReason) => {
    if (ended) return;
    ended = true;
    for (const timer of timers) clearTimeout(timer);
    if (reason === 'slow') raw.destroy();
    else raw.end();
    options.onEnd(reason);
  };
  const write = (chunk: string) => {
    if (ended) return;
    if (raw.writableLength + Buffer.byteLength(chunk) > options.maxBufferedBytes) {
      end('slow');
      return;
    }
    raw.write(chunk);
  };

  raw.on('close', () => end('client'));
  // A write racing a vanished peer must end this stream, never become an unhandled 'error'.
  raw.on('error', () => end('client'));
  // The peer may have gone between admission and now, when 'close' was already emitted.
  if (raw.destroyed) queueMicrotask(() => end('client'));
  raw.write(`retry: ${options.retryMs}\n: connected\n\n`);
  timers.push(setInterval(() => write(': heartbeat\n\n'), options.heartbeatMs).unref());
  timers.push(setTimeout(() => end('lifetime'), options.maxLifetimeMs).unref());

  return {
    send(event) {
      const frame = frameOf(event);
      if (frame !== null) write(frame);
    },
    notice(type, data) {
      if (EVENT_NAME.test(type)) write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end,
  };
}
