import type { CliCommand } from '../types.js';
import { adminCommand } from './admin.js';
import { migrateCommand } from './migrate.js';
import { serveCommand } from './serve.js';

/** Every `q2` subcommand, in the order `q2 help` lists them. */
export const commands: readonly CliCommand[] = [serveCommand, migrateCommand, adminCommand];
