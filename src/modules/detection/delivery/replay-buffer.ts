/**
 * The last N live events, so a console that lost its connection resumes with `Last-Event-ID`
 * (WHATWG HTML §9.2 server-sent events) instead of silently missing alerts. Bounded by count:
 * memory stays fixed however busy the stream is.
 */
import type { LiveEvent } from './live-event.js';

export interface ReplayBuffer {
  push(event: LiveEvent): void;
  /**
   * The events after the one with `id`, oldest first; null when `id` is not (or no longer) in
   * the buffer, so the caller can tell the client it may have missed events.
   */
  after(id: string): LiveEvent[] | null;
}

export function createReplayBuffer(limit: number): ReplayBuffer {
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError('replay limit must be a positive integer');
  const events: LiveEvent[] = [];
  return {
    push(event) {
      events.push(event);
      if (events.length > limit) events.shift();
    },
    after(id) {
      for (let i = events.length - 1; i >= 0; i--) {
        if (events[i]!.id === id) return events.slice(i + 1);
      }
      return null;
    },
  };
}
