/** Contract between the `q2` dispatcher (src/cli/main.ts) and each subcommand. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export interface CliCommand {
  /** First word after `q2`, e.g. `keys`. */
  name: string;
  /** One line for `q2 help`. */
  summary: string;
  /** Returns the process exit status; failures print one line on stderr. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}
