/** Spawns the built `q2` CLI (dist/) as a child process, the way an operator runs it. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/**
 * Builds dist/ so the test spawns the real `q2` binary as a user would, never a stale build.
 * Called from beforeAll of the CLI test files only (a build takes seconds).
 */
export function buildCli(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment without the developer's own Q2_* settings, so tests are hermetic. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('Q2_')) env[key] = value;
  return { ...env, ...extra };
}

export function runCli(args: string[], env: Record<string, string>, stdin?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(env), cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    if (stdin !== undefined) child.stdin.end(stdin);
    else child.stdin.end();
  });
}

export function spawnCli(args: string[], env: Record<string, string>): ChildProcess & { output(): string } {
  const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(env), cwd: ROOT });
  let output = '';
  child.stdout?.on('data', (d) => { output += d; });
  child.stderr?.on('data', (d) => { output += d; });
  return Object.assign(child, { output: () => output });
}

/** Resolves when `predicate(output)` holds, rejects after timeoutMs (a test deadline, not a sleep). */
export function waitForOutput(child: ReturnType<typeof spawnCli>, predicate: (out: string) => boolean, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (predicate(child.output())) return resolve();
      if (child.exitCode !== null) return reject(new Error(`process exited: ${child.output()}`));
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out; output so far: ${child.output()}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}
