/**
 * The per-suite database of a contract test: provisioned on `backend`, migrated before the
 * suite's tests, closed and dropped after them. Call inside `describe.each(backends)`.
 */
import { afterAll, beforeAll } from 'vitest';

import { createDatabase, type Database } from '../../src/lib/db/index.js';
import type { DatabaseBackend, ThrowawayDatabase } from './backends.js';

export function useMigratedDatabase(backend: DatabaseBackend): () => Database {
  let throwaway: ThrowawayDatabase | undefined;
  let db: Database | undefined;
  beforeAll(async () => {
    throwaway = await backend.provision();
    db = await createDatabase(throwaway.url);
    await db.migrate();
  });
  afterAll(async () => {
    await db?.close();
    await throwaway?.drop();
  });
  return () => {
    if (!db) throw new Error('the database is ready only inside the suite\'s tests');
    return db;
  };
}
