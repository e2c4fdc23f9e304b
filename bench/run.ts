/**
 * `npm run bench`: every benchmark, printed as the markdown that goes into docs/BENCHMARKS.md.
 * Each benchmark compares against a baseline measured in the same run.
 */
import os from 'node:os';
import { benchHttp } from './http.js';
import { benchIdentity } from './identity.js';

async function main(): Promise<void> {
  const header = [
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
  ].join('\n');
  process.stdout.write(`${header}\n`);
  const only = process.argv[2];
  const sections: [string, () => Promise<string>][] = [['http', benchHttp], ['identity', benchIdentity]];
  for (const [name, run] of sections) {
    if (only && only !== name) continue;
    process.stdout.write(`${await run()}\n`);
  }
}

void main();
