/**
 * The SDK is shipped to clients (`q2/client`): everything it imports, transitively, must be the
 * SDK itself or the pure signing functions, and its only packages node built-ins and
 * `structured-headers`. A server import (Fastify, Kysely, the platform) would fail this test.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const ALLOWED_DIRS = ['client', path.join('modules', 'signing')];
const ALLOWED_PACKAGES = new Set(['structured-headers']);
/** `… from '<spec>'` and side-effect `import '<spec>'` (the codebase uses single quotes only). */
const IMPORT = /(?:from|import) '([^']+)'/g;

function walk(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = match[1] as string;
      if (spec.startsWith('.')) queue.push(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  }
  return { files: [...files].map((f) => path.relative(SRC, f)), packages: [...packages] };
}

describe('client SDK boundary', () => {
  it('reaches only src/client and src/modules/signing, node built-ins and structured-headers', () => {
    const { files, packages } = walk(path.join(SRC, 'client', 'index.ts'));
    expect(files.length).toBeGreaterThan(5);
    expect(files.filter((f) => !ALLOWED_DIRS.some((dir) => f.startsWith(`${dir}${path.sep}`)))).toEqual([]);
    expect(packages.filter((p) => !p.startsWith('node:') && !ALLOWED_PACKAGES.has(p))).toEqual([]);
  });
});
