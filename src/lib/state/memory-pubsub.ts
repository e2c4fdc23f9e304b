/**
 * In-process publish/subscribe for the memory StateStore. Delivery is asynchronous (a
 * microtask after `publish`), like Redis, so a handler never runs inside its publisher's call
 * stack. A throwing handler is reported and does not affect other handlers.
 */
import { deliver } from './deliver.js';
import type { StateLogger } from './types.js';

type Handler = (message: string) => void;

export interface LocalPubSub {
  publish(channel: string, message: string): void;
  subscribe(channel: string, handler: Handler): () => Promise<void>;
  clear(): void;
}

export function createLocalPubSub(logger: StateLogger | undefined): LocalPubSub {
  // Each subscription is its own object, so subscribing the same function twice is two
  // independent subscriptions.
  const channels = new Map<string, Set<{ handler: Handler }>>();

  return {
    publish(channel, message) {
      const subscriptions = channels.get(channel);
      if (subscriptions === undefined) return;
      for (const subscription of [...subscriptions]) {
        queueMicrotask(() => deliver(subscription.handler, channel, message, logger));
      }
    },
    subscribe(channel, handler) {
      const subscription = { handler };
      let set = channels.get(channel);
      if (set === undefined) {
        set = new Set();
        channels.set(channel, set);
      }
      set.add(subscription);
      return () => {
        const current = channels.get(channel);
        current?.delete(subscription);
        if (current?.size === 0) channels.delete(channel);
        return Promise.resolve();
      };
    },
    clear() {
      channels.clear();
    },
  };
}
