/**
 * The SIEM exporter: delivers syslog lines in order, one at a time. Back-pressure: submit()
 * resolves only once a line is handed to the transport or durably spooled, and the event bus
 * awaits it, so a slow collector grows the bus backlog (reported, never dropped) instead of
 * an unbounded buffer here. When the collector is down, lines go to the disk spool and are
 * replayed, oldest first, before any new line once it is back.
 *
 * Delivery is at-least-once: a line the OS accepted just before the connection broke may be
 * replayed. Retry timing is injected (`retryDelayMs`, `schedule`), never slept on.
 */
import type { Spool } from './spool.js';
import type { SyslogTransport } from './transport.js';

export interface SiemExporterOptions {
  transport: SyslogTransport;
  spool: Spool;
  /** Delay before replay attempt n (1-based) after a failure. */
  retryDelayMs?: (attempt: number) => number;
  schedule?: (fn: () => void, ms: number) => { cancel(): void };
  onError?: (error: unknown, spooled: number) => void;
  onSent?: (count: number) => void;
}

export interface SiemExporter {
  submit(line: string): Promise<void>;
  /** Replays the spool now; resolves true when nothing is left spooled. */
  flush(): Promise<boolean>;
  close(): Promise<void>;
  stats(): { sent: number; spooled: number; failures: number };
}

const defaultSchedule = (fn: () => void, ms: number) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
};

export function createSiemExporter(options: SiemExporterOptions): SiemExporter {
  const { transport, spool } = options;
  const retryDelayMs = options.retryDelayMs ?? ((n: number) => Math.min(60_000, 1_000 * 2 ** (n - 1)));
  const schedule = options.schedule ?? defaultSchedule;
  let chain: Promise<unknown> = Promise.resolve();
  // True while the spool may hold lines: new lines must queue behind them to keep order.
  let backlog = true;
  let attempts = 0;
  let timer: { cancel(): void } | undefined;
  let closed = false;
  const counters = { sent: 0, spooled: 0, failures: 0 };

  // Every operation runs in turn so spool and socket are never used concurrently.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };

  function failed(error: unknown, spooledNow: number): void {
    counters.failures++;
    backlog = true;
    options.onError?.(error, spooledNow);
    if (closed || timer) return;
    attempts++;
    timer = schedule(() => {
      timer = undefined;
      // A spool I/O error must surface, not become an unhandled rejection.
      flush().catch((e: unknown) => options.onError?.(e, 0));
    }, retryDelayMs(attempts));
  }

  async function replay(): Promise<boolean> {
    const pending = await spool.readAll();
    let done = 0;
    try {
      for (const line of pending) {
        await transport.send(line);
        done++;
      }
    } catch (error) {
      await spool.replace(pending.slice(done));
      counters.sent += done;
      failed(error, 0);
      return false;
    }
    await spool.replace([]);
    counters.sent += done;
    if (done > 0) options.onSent?.(done);
    backlog = false;
    attempts = 0;
    return true;
  }

  function flush(): Promise<boolean> {
    return serial(replay);
  }

  return {
    submit(line) {
      return serial(async () => {
        if (backlog && !timer && !closed) await replay();
        if (backlog) {
          await spool.append([line]);
          counters.spooled++;
          return;
        }
        try {
          await transport.send(line);
          counters.sent++;
          options.onSent?.(1);
        } catch (error) {
          await spool.append([line]);
          counters.spooled++;
          failed(error, 1);
        }
      });
    },
    flush,
    async close() {
      timer?.cancel();
      timer = undefined;
      // Last delivery attempt; whatever the collector cannot take stays spooled for next start.
      await serial(async () => { closed = true; await replay(); });
      await transport.close();
    },
    stats: () => ({ ...counters }),
  };
}
