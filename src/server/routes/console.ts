/**
 * The web console's static files (console/ at the package root), served with a strict CSP: no
 * inline script or style, same-origin only, no framing (SPEC §2). Files are read once at start.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
  + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'alerts.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

/** The package root, found from this file whether it runs from src/ (tests) or dist/src/. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package root not found');
    dir = parent;
  }
  return dir;
}

export function registerConsoleRoutes(app: FastifyInstance): void {
  const dir = path.join(packageRoot(), 'console');
  const assets = new Map(Object.entries(FILES).map(([name, type]) => [name, { type, body: readFileSync(path.join(dir, name)) }]));
  const send = (name: string) => async (_request: unknown, reply: import('fastify').FastifyReply) => {
    const asset = assets.get(name)!;
    return reply.header('content-security-policy', CONSOLE_CSP).header('cache-control', 'no-cache').type(asset.type).send(asset.body);
  };
  app.get('/console/', { schema: { hide: true } }, send('index.html'));
  for (const name of Object.keys(FILES)) app.get(`/console/${name}`, { schema: { hide: true } }, send(name));
}
