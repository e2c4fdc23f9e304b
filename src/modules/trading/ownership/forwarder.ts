/**
 * Hands commands to the replica that owns a symbol's book, over the shared state store's
 * pub/sub (Redis in production): each replica listens on `trading:rpc:<replicaId>`; a request
 * carries a random id and the sender's channel, the owner answers there. Pub/sub is
 * fire-and-forget, so a request to a replica that died gets no answer: after `timeoutMs` the
 * sender reports TRADING_OWNER_UNAVAILABLE, and the client's retry with the same clientOrderId
 * is safe (the unique index turns a recorded first attempt into ORDER_DUPLICATE).
 */
import { randomUUID } from 'node:crypto';
import { AppError, isAppError, isErrorCode } from '../../../lib/errors/index.js';
import type { StateStore } from '../../../lib/state/index.js';
import type { Command, CommandResult } from '../orders/commands.js';

export type ForwardAnswer = CommandResult | 'not-owner';

type Message =
  | { t: 'req'; id: string; from: string; command: Command }
  | { t: 'res'; id: string; answer?: ForwardAnswer; error?: { code: string; detail: string } };

export interface Forwarder {
  send(owner: string, command: Command): Promise<ForwardAnswer>;
  close(): Promise<void>;
}

const channelOf = (replicaId: string) => `trading:rpc:${replicaId}`;

export async function createForwarder(deps: {
  state: StateStore;
  replicaId: string;
  timeoutMs: number;
  handle: (command: Command) => Promise<ForwardAnswer>;
  onError: (error: unknown) => void;
}): Promise<Forwarder> {
  const pending = new Map<string, { resolve: (a: ForwardAnswer) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }>();
  const reply = (to: string, message: Message) => deps.state.publish(channelOf(to), JSON.stringify(message)).catch(deps.onError);

  const unsubscribe = await deps.state.subscribe(channelOf(deps.replicaId), (text) => {
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch (error) {
      deps.onError(error);
      return;
    }
    if (message.t === 'req') {
      deps.handle(message.command).then(
        (answer) => reply(message.from, { t: 'res', id: message.id, answer }),
        (error: unknown) => {
          if (!isAppError(error)) deps.onError(error);
          const code = isAppError(error) ? error.code : 'INTERNAL_ERROR';
          return reply(message.from, { t: 'res', id: message.id, error: { code, detail: isAppError(error) ? error.detail : 'internal error' } });
        },
      );
      return;
    }
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    clearTimeout(waiting.timer);
    if (message.answer !== undefined) waiting.resolve(message.answer);
    else {
      const code = message.error && isErrorCode(message.error.code) ? message.error.code : 'INTERNAL_ERROR';
      waiting.reject(new AppError(code, message.error?.detail));
    }
  });

  return {
    send(owner, command) {
      const id = randomUUID();
      return new Promise<ForwardAnswer>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new AppError('TRADING_OWNER_UNAVAILABLE', `The matching engine for ${command.symbol} did not answer; retry with the same clientOrderId.`));
        }, deps.timeoutMs);
        timer.unref();
        pending.set(id, { resolve, reject, timer });
        const request: Message = { t: 'req', id, from: deps.replicaId, command };
        deps.state.publish(channelOf(owner), JSON.stringify(request)).catch((error: unknown) => {
          pending.delete(id);
          clearTimeout(timer);
          reject(new AppError('TRADING_OWNER_UNAVAILABLE', 'The shared state store is unavailable.', { cause: error }));
        });
      });
    },
    async close() {
      for (const [id, waiting] of pending) {
        clearTimeout(waiting.timer);
        waiting.reject(new AppError('TRADING_OWNER_UNAVAILABLE', 'Shutting down.'));
        pending.delete(id);
      }
      await unsubscribe();
    },
  };
}
