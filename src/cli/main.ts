#!/usr/bin/env node
/**
 * `q2` — the command-line entry point (SPEC §9). Dispatches to one subcommand; exit status is
 * non-zero on failure, with a one-line reason on stderr.
 */
import { commands } from './commands/index.js';
import type { CliIo } from './types.js';

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write('usage: q2 <command> [args]\n\n');
    for (const command of commands) io.stdout.write(`  ${command.name.padEnd(12)} ${command.summary}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`q2: unknown command "${name}" (try q2 help)\n`);
    return 2;
  }
  return command.run(rest, io);
}

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    io.stderr.write(`q2: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
