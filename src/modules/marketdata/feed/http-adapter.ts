/**
 * A PriceSourceAdapter that GETs a JSON array of signed updates from an operator-configured
 * URL. The URL comes from code/configuration, never from an API caller (no SSRF surface).
 * TLS is verified (optionally against a pinned CA); plain http is refused unless the host is
 * loopback, the answer is capped at `maxBytes`, redirects are not followed.
 */
import http from 'node:http';
import https from 'node:https';
import type { PriceSourceAdapter } from './puller.js';

export interface HttpPullAdapterOptions {
  name: string;
  url: string;
  /** PEM CA to trust instead of the system store (e.g. a feed's private CA). */
  ca?: string;
  maxBytes?: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

export function createHttpPullAdapter(options: HttpPullAdapterOptions): PriceSourceAdapter {
  const url = new URL(options.url);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new TypeError(`pull source ${options.name}: https is required (plain http only on loopback)`);
  }
  const maxBytes = options.maxBytes ?? 256 * 1024;
  const client = url.protocol === 'https:' ? https : http;

  return {
    name: options.name,
    fetch(signal) {
      return new Promise((resolve, reject) => {
        const req = client.get(url, { signal, headers: { accept: 'application/json' }, ...(options.ca ? { ca: options.ca } : {}) }, (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`status ${res.statusCode ?? 0}`));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              req.destroy(new Error('answer too large'));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
            } catch {
              reject(new Error('answer is not JSON'));
            }
          });
          res.on('error', reject);
        });
        req.on('error', reject);
      });
    },
  };
}
