/**
 * Fans live events out to every replica: the publishing replica assigns the id and sends the
 * event on one StateStore channel (Redis pub/sub when configured, in-process otherwise); each
 * replica, the publisher included, receives it once, keeps it in its replay buffer and hands it
 * to its local listeners (SSE connections, the alert mailer). A console connected to replica B
 * so sees an alert raised on replica A.
 *
 * Pub/sub is fire-and-forget: a replica whose Redis subscription is reconnecting misses what is
 * published meanwhile. Consoles recover through `GET /v1/admin/alerts`; mail is sent by whichever
 * replica did receive it (alert-mailer.ts).
 */
import { randomUUID } from 'node:crypto';

import type { StateStore } from '../../../lib/state/index.js';
import { parseLiveEvent, type LiveEvent } from './live-event.js';
import { createReplayBuffer } from './replay-buffer.js';

export const LIVE_CHANNEL = 'detection:live-events';

export type LiveListener = (event: LiveEvent) => void;

export interface LiveHub {
  /** Assigns an id and broadcasts to every replica; resolves once handed to the store. */
  publish(type: string, data: unknown): Promise<LiveEvent>;
  /** Local listener for every event this replica receives; returns the unsubscribe function. */
  listen(listener: LiveListener): () => void;
  /** See ReplayBuffer.after. */
  replayAfter(id: string): LiveEvent[] | null;
  close(): Promise<void>;
}

export interface LiveHubOptions {
  state: StateStore;
  /** Events kept for `Last-Event-ID` resumption (default 1,000). */
  replayLimit?: number;
  onListenerError?: (error: unknown) => void;
}

export async function createLiveHub(options: LiveHubOptions): Promise<LiveHub> {
  const { state } = options;
  const buffer = createReplayBuffer(options.replayLimit ?? 1_000);
  const listeners = new Set<LiveListener>();
  const unsubscribe = await state.subscribe(LIVE_CHANNEL, (message) => {
    const event = parseLiveEvent(message);
    if (event === null) return;
    buffer.push(event);
    for (const listener of [...listeners]) {
      // One broken listener (a connection mid-teardown) must not starve the others.
      try {
        listener(event);
      } catch (error) {
        options.onListenerError?.(error);
      }
    }
  });

  return {
    async publish(type, data) {
      const event: LiveEvent = { id: randomUUID(), type, data };
      await state.publish(LIVE_CHANNEL, JSON.stringify(event));
      return event;
    },
    listen(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    replayAfter: (id) => buffer.after(id),
    async close() {
      listeners.clear();
      await unsubscribe();
    },
  };
}
