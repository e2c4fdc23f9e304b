/** Subscriber dispatch shared by both adapters: one throwing handler never affects another. */
import type { StateLogger } from './types.js';

/** Calls one handler, reporting (never propagating) its exception. */
export function deliver(handler: (message: string) => void, channel: string, message: string, logger: StateLogger | undefined): void {
  try {
    handler(message);
  } catch (error) {
    const err = error instanceof Error ? { message: error.message, name: error.name } : { message: String(error) };
    if (logger !== undefined) logger.error({ channel, err }, 'state subscriber handler threw');
    else process.emitWarning(`state subscriber handler on "${channel}" threw: ${err.message}`);
  }
}
