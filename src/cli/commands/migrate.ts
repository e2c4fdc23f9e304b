/** `q2 migrate` — apply pending database migrations (also run automatically by `q2 serve`). */
import type { CliCommand } from '../types.js';
import { loadCliContext } from '../context.js';
import { createDatabase } from '../../lib/db/index.js';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'apply pending database migrations',
  async run(_argv, io) {
    const ctx = loadCliContext(io, 'warn');
    if (!ctx) return 1;
    const db = await createDatabase(ctx.config.storage.databaseUrl, { logger: ctx.logger });
    try {
      const { applied } = await db.migrate();
      io.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`);
      return 0;
    } finally {
      await db.close();
    }
  },
};
