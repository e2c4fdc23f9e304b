/**
 * WAL checkpoints of a SQLite file, run in a worker thread on its own connection.
 *
 * With `synchronous = NORMAL` a commit only appends to the WAL, but the automatic checkpoint
 * that SQLite runs inside a commit every 1,000 pages copies the WAL into the database file and
 * fsyncs both — on the connection that committed, i.e. on the event loop. Measured under the
 * order benchmark: commit p50 0.3 ms, p90 8.5 ms, and 80 % of all commit time in those stalls,
 * during which no request of the process is served. Here a worker runs PASSIVE checkpoints
 * (never waits for readers or the writer, never blocks them) every `intervalMs`, so the fsyncs
 * happen off the event loop. Durability is unchanged: commits reach the WAL exactly as before,
 * and the checkpoint is the same operation run elsewhere.
 *
 * The main connection keeps an automatic checkpoint as a backstop at FALLBACK_PAGES (≈ 40 MB of
 * WAL), so the WAL stays bounded even if the worker dies or falls behind.
 *
 * The worker is eval'd from the source below (CommonJS, no TypeScript) so that it runs the same
 * way from the compiled package and from the test runner's TypeScript sources. It is asked to
 * stop and exits between checkpoints; it is never terminated inside a better-sqlite3 call
 * (a native call cut by `terminate()` can abort the process).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The main connection's own automatic checkpoint threshold while a checkpointer runs. */
export const FALLBACK_PAGES = 10_000;
const DEFAULT_INTERVAL_MS = 200;

export interface CheckpointerOptions {
  /** Pause between PASSIVE checkpoints; default 200 ms. */
  readonly intervalMs?: number;
}

export interface CheckpointStats {
  readonly runs: number;
  readonly errors: number;
  readonly walFrames: number;
  readonly checkpointedFrames: number;
}

export interface Checkpointer {
  /**
   * Checkpoints run so far, failed ones, and the last run's WAL size and how much of it is in
   * the database file (frames; equal when the last run left nothing to copy).
   */
  stats(): Promise<CheckpointStats>;
  /** Stops the worker after its current checkpoint; resolves when the thread has exited. */
  stop(): Promise<void>;
}

// Plain CommonJS run by `new Worker(..., { eval: true })`. Literal PRAGMAs only.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
let runs = 0, errors = 0, walFrames = 0, checkpointedFrames = 0, stopping = false, timer = null;
function tick() {
  timer = null;
  if (stopping) return;
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    runs++;
    walFrames = row ? row.log : 0;
    checkpointedFrames = row ? row.checkpointed : 0;
  } catch {
    // SQLITE_BUSY and the like: the next tick tries again; the backstop bounds the WAL meanwhile.
    errors++;
  }
  timer = setTimeout(tick, workerData.intervalMs);
}
parentPort.on('message', (m) => {
  if (m === 'stats') parentPort.postMessage({ kind: 'stats', runs, errors, walFrames, checkpointedFrames });
  if (m === 'stop') {
    stopping = true;
    if (timer) clearTimeout(timer);
    db.close();
    parentPort.close();
  }
});
parentPort.postMessage({ kind: 'ready' });
tick();
`;

/**
 * Starts checkpointing `file` (an existing SQLite database in WAL mode). Resolves once the
 * worker has opened the file; rejects if it cannot (the caller then keeps SQLite's own
 * automatic checkpoints).
 */
export function startCheckpointer(file: string, options: CheckpointerOptions = {}): Promise<Checkpointer> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS } });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const checkpointer: Checkpointer = {
    stats: () => new Promise((resolve, reject) => {
      const onMessage = (m: Partial<CheckpointStats> & { kind: string }) => {
        if (m.kind !== 'stats') return;
        worker.off('message', onMessage);
        resolve({ runs: m.runs ?? 0, errors: m.errors ?? 0, walFrames: m.walFrames ?? 0, checkpointedFrames: m.checkpointedFrames ?? 0 });
      };
      worker.on('message', onMessage);
      exited.then(() => reject(new Error('checkpointer stopped')), reject);
      worker.postMessage('stats');
    }),
    async stop() {
      // Referenced again while we wait for it: an unreferenced thread would let the process
      // exit in the middle of this await.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { kind: string }) => {
      if (m.kind !== 'ready') {
        reject(new Error('checkpointer failed to start'));
        return;
      }
      // From now on a database left open must not keep the process alive. (Until here the
      // thread stays referenced: the caller awaits its 'ready', and with nothing else pending
      // the process would exit in the middle of that await.)
      worker.unref();
      resolve(checkpointer);
    });
    worker.once('error', reject);
    worker.once('exit', () => reject(new Error('checkpointer exited before it was ready')));
  });
}
