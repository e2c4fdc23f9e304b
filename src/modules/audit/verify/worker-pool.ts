/**
 * A pool of chunk-verification worker threads (chunk-worker.ts) for one verification run.
 *
 * Each worker holds at most one job, so a slow chunk never queues others behind it while
 * another worker is idle. Closing drops the jobs not yet handed out and waits for each worker to
 * finish its current one and exit by itself. A worker that fails rejects its job; parallel.ts then falls back to
 * the sequential verifier, so a broken pool costs speed, never a wrong answer.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import type { ChunkJob, ChunkResult } from './chunk.js';
import type { ChunkRunner } from './parallel.js';

export interface WorkerPoolOptions {
  /** The database the log lives in; each worker opens its own connection. */
  databaseUrl: string;
  workers: number;
  /** The compiled worker script (default: chunk-worker.js next to this module). */
  workerUrl?: URL;
}

export interface WorkerChunkRunner extends ChunkRunner {
  close(): Promise<void>;
}

const DEFAULT_WORKER_URL = new URL('./chunk-worker.js', import.meta.url);

/**
 * A pool, or null when workers cannot help: one worker or fewer, an in-memory SQLite database
 * (another connection would see an empty one), or no compiled worker script (running from
 * TypeScript sources, as the unit tests do).
 */
export function createWorkerChunkRunner(options: WorkerPoolOptions): WorkerChunkRunner | null {
  const workerUrl = options.workerUrl ?? DEFAULT_WORKER_URL;
  if (options.workers < 2 || options.databaseUrl.includes(':memory:')) return null;
  if (workerUrl.protocol !== 'file:' || !existsSync(fileURLToPath(workerUrl))) return null;

  interface Slot { worker: Worker; busy: { id: number; resolve: (r: ChunkResult) => void; reject: (e: Error) => void } | null; dead: boolean }
  const waiting: { job: ChunkJob; resolve: (r: ChunkResult) => void; reject: (e: Error) => void }[] = [];
  let nextId = 0;
  const slots: Slot[] = Array.from({ length: options.workers }, () => {
    const slot: Slot = { worker: new Worker(workerUrl, { workerData: { databaseUrl: options.databaseUrl } }), busy: null, dead: false };
    slot.worker.on('message', (message: { id?: number; result?: ChunkResult; error?: string; ready?: boolean }) => {
      if (message.ready === true) return;
      const busy = slot.busy;
      if (busy === null || busy.id !== message.id) return;
      slot.busy = null;
      if (message.error !== undefined) busy.reject(new Error(message.error));
      else busy.resolve(message.result as ChunkResult);
      dispatch();
    });
    const fail = (error: Error) => {
      slot.dead = true;
      slot.busy?.reject(error);
      slot.busy = null;
      // With no worker left, nothing would ever take the waiting jobs.
      if (slots.every((s) => s.dead)) for (const job of waiting.splice(0)) job.reject(error);
      else dispatch();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => fail(new Error(`verification worker exited with code ${code}`)));
    return slot;
  });

  function dispatch(): void {
    for (const slot of slots) {
      if (slot.dead || slot.busy !== null) continue;
      const job = waiting.shift();
      if (job === undefined) return;
      const id = nextId++;
      slot.busy = { id, resolve: job.resolve, reject: job.reject };
      slot.worker.postMessage({ id, job: job.job });
    }
  }

  return {
    run(job) {
      return new Promise<ChunkResult>((resolve, reject) => {
        waiting.push({ job, resolve, reject });
        dispatch();
      });
    },
    async close() {
      for (const job of waiting.splice(0)) job.reject(new Error('verification worker pool closed'));
      // Asked, not terminated: a worker stops between queries (see chunk-worker.ts).
      await Promise.all(slots.map((slot) => (slot.dead ? undefined : new Promise<void>((resolve) => {
        slot.worker.once('exit', () => resolve());
        slot.worker.postMessage({ close: true });
      }))));
    },

  };
}
