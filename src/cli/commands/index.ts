import type { CliCommand } from '../types.js';
import { adminCommand } from './admin.js';
import { auditCommand } from './audit.js';
import { createKeysCommand } from './keys.js';
import { keysDepsLoader } from './keys-deps.js';
import { migrateCommand } from './migrate.js';
import { pricesCommand } from './prices.js';
import { serveCommand } from './serve.js';

/** Every `q2` subcommand, in the order `q2 help` lists them. */
const processIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };

export const commands: readonly CliCommand[] = [
  serveCommand, migrateCommand, adminCommand, createKeysCommand(keysDepsLoader(processIo)), auditCommand, pricesCommand,
];
