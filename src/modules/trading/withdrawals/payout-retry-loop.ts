/**
 * The in-process loop that sends due payout retries: every `intervalMs` one sweep
 * (`WithdrawalLifecycle.retryDue`). Every replica runs one; the claims in payout-attempts.ts make
 * sure each attempt is sent by one of them only. Sweeps of one replica never overlap: a tick or a
 * `runOnce` waits for the sweep before it. Due times are read from the injected clock, the tick is
 * a real timer (unref'd: it never keeps the process alive).
 */

export interface PayoutRetryLoop {
  /** One sweep after the one in flight, if any; resolves when it is done (tests, operators). */
  runOnce(): Promise<void>;
  /** Stops ticking and waits for the sweep in flight. */
  close(): Promise<void>;
}

/** A due attempt waits at most this long for a tick: one indexed query per replica per second. */
export const DEFAULT_PAYOUT_RETRY_INTERVAL_MS = 1_000;

export function startPayoutRetryLoop(deps: { sweep(): Promise<unknown>; intervalMs?: number; onError(error: unknown, what: string): void }): PayoutRetryLoop {
  const intervalMs = deps.intervalMs ?? DEFAULT_PAYOUT_RETRY_INTERVAL_MS;
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) throw new TypeError('payout retry: intervalMs must be a positive integer');
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let last: Promise<void> = Promise.resolve();

  const runOnce = (): Promise<void> => {
    last = last.then(async () => {
      if (closed) return;
      try {
        await deps.sweep();
      } catch (error) {
        deps.onError(error, 'payout retry sweep failed');
      }
    });
    return last;
  };
  const schedule = () => {
    timer = setTimeout(() => void runOnce().then(() => {
      if (!closed) schedule();
    }), intervalMs);
    timer.unref();
  };
  schedule();

  return {
    runOnce,
    async close() {
      closed = true;
      clearTimeout(timer);
      await last;
    },
  };
}
