/**
 * Worker-thread entry for parallel verification: opens its own connection to the database named
 * in `workerData.databaseUrl` (read-only use) and answers chunk jobs.
 *
 * It is never terminated from outside while a query runs (a native SQLite call interrupted by
 * `Worker.terminate()` can abort the whole process): on `{close: true}` it finishes the jobs it
 * holds, closes its connection and lets its event loop end.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { createDatabase } from '../../../lib/db/index.js';
import { createAuditStore } from '../store/audit-store.js';
import { verifyChunk, type ChunkJob } from './chunk.js';

type Request = { id: number; job: ChunkJob } | { close: true };

const port = parentPort;
if (port === null) throw new Error('chunk-worker.js runs only as a worker thread');
const { databaseUrl } = workerData as { databaseUrl: string };
// A reader beside the main connection: checkpoints stay with the main one.
const db = await createDatabase(databaseUrl, { checkpointWorker: false });
const store = createAuditStore(db);
let running = 0;
let closing = false;

const finish = (): void => {
  void db.close().finally(() => port.close());
};

port.on('message', (request: Request) => {
  if ('close' in request) {
    closing = true;
    if (running === 0) finish();
    return;
  }
  running++;
  verifyChunk(store, request.job).then(
    (result) => port.postMessage({ id: request.id, result }),
    (error: unknown) => port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
  ).finally(() => {
    running--;
    if (closing && running === 0) finish();
  });
});
port.postMessage({ ready: true });
