/**
 * Worker-thread entry for parallel verification: opens its own connection to the database named
 * in `workerData.databaseUrl` (read-only use) and answers chunk jobs one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { createDatabase } from '../../../lib/db/index.js';
import { createAuditStore } from '../store/audit-store.js';
import { verifyChunk, type ChunkJob } from './chunk.js';

interface Request { id: number; job: ChunkJob }

const port = parentPort;
if (port === null) throw new Error('chunk-worker.js runs only as a worker thread');
const { databaseUrl } = workerData as { databaseUrl: string };
const db = await createDatabase(databaseUrl);
const store = createAuditStore(db);

port.on('message', (request: Request) => {
  verifyChunk(store, request.job).then(
    (result) => port.postMessage({ id: request.id, result }),
    (error: unknown) => port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
port.on('close', () => void db.close());
port.postMessage({ ready: true });
