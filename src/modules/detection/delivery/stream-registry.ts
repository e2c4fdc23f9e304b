/**
 * The open live streams of this replica: admission against the connection caps (per replica
 * and per user, so one leaked tab loop cannot take every slot), their hub listeners, metrics,
 * and ending them all at shutdown.
 */
import type { ServerResponse } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';

import type { LiveListener, LiveHub } from './live-hub.js';
import { openSseStream, type SseStream, type SseStreamOptions, type StreamEndReason } from './sse-stream.js';

export interface LiveStreamLimits {
  /** Open streams per replica (default 200). */
  maxStreams: number;
  /** Open streams per user (default 5). */
  maxStreamsPerUser: number;
  /** Heartbeat comment period (default 15 s). */
  heartbeatMs: number;
  /** Bytes a stream may have waiting to be written before it is cut as a slow consumer (default 1 MiB). */
  maxBufferedBytes: number;
  /** Lifetime of one stream (default 15 min, an access token's lifetime); clients reconnect. */
  maxLifetimeMs: number;
  /** `retry:` sent to clients (default 3 s). */
  retryMs: number;
}

export const DEFAULT_LIVE_STREAM_LIMITS: Readonly<LiveStreamLimits> = Object.freeze({
  maxStreams: 200, maxStreamsPerUser: 5, heartbeatMs: 15_000, maxBufferedBytes: 1_048_576, maxLifetimeMs: 15 * 60_000, retryMs: 3_000,
});

export interface StreamLease {
  /** Starts the stream on the (hijacked) response; the slot is released when it ends. */
  open(raw: ServerResponse): SseStream;
  /** Hub listener for the lifetime of the stream. */
  onEvent(listener: LiveListener): void;
}

export interface StreamRegistry {
  /** Null when a cap is reached. */
  admit(userId: string): StreamLease | null;
  /** Ends every open stream (shutdown). */
  closeAll(): void;
  readonly size: number;
}

export function createStreamRegistry(deps: { hub: LiveHub; limits: LiveStreamLimits; metrics: Registry }): StreamRegistry {
  const { hub, limits } = deps;
  const open = new Set<SseStream>();
  const perUser = new Map<string, number>();
  let reserved = 0;
  const gauge = new Gauge({ name: 'q2_live_streams', help: 'Open live event streams (GET /v1/admin/events) on this replica', registers: [deps.metrics] });
  const ended = new Counter({
    name: 'q2_live_stream_ends_total', help: 'Live event streams ended, by reason (client, slow, shutdown, lifetime)',
    labelNames: ['reason'] as const, registers: [deps.metrics],
  });

  const release = (userId: string) => {
    reserved--;
    const left = (perUser.get(userId) ?? 1) - 1;
    if (left <= 0) perUser.delete(userId);
    else perUser.set(userId, left);
    gauge.set(reserved);
  };

  return {
    admit(userId) {
      const mine = perUser.get(userId) ?? 0;
      if (reserved >= limits.maxStreams || mine >= limits.maxStreamsPerUser) return null;
      reserved++;
      perUser.set(userId, mine + 1);
      gauge.set(reserved);
      const unlisten: (() => void)[] = [];
      return {
        open(raw) {
          const options: SseStreamOptions = {
            raw, heartbeatMs: limits.heartbeatMs, maxBufferedBytes: limits.maxBufferedBytes, maxLifetimeMs: limits.maxLifetimeMs, retryMs: limits.retryMs,
            onEnd: (reason: StreamEndReason) => {
              for (const stop of unlisten.splice(0)) stop();
              open.delete(stream);
              release(userId);
              ended.inc({ reason });
            },
          };
          const stream = openSseStream(options);
          open.add(stream);
          return stream;
        },
        onEvent(listener) {
          unlisten.push(hub.listen(listener));
        },
      };
    },
    closeAll() {
      for (const stream of [...open]) stream.end('shutdown');
    },
    get size() { return reserved; },
  };
}
