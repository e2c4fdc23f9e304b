/** Relational storage: SQLite or PostgreSQL behind one Kysely handle (docs/storage.md). */
export {
  createDatabase,
  parseDatabaseUrl,
  type Database,
  type DatabaseLogger,
  type DatabaseOptions,
  type DatabaseTarget,
  type Dialect,
} from './database.js';
export { fromDbBool, fromDbTime, toDbBool, toDbTime } from './codec.js';
export { migrations } from './migrations/index.js';
export type { SettingsTable, Tables } from './schema.js';
export {
  createSettingsRepository,
  type CasResult,
  type DeleteResult,
  type Setting,
  type SettingsRepository,
} from './settings-repository.js';
