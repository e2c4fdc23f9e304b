import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from './index.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  return { lines, stream };
}

describe('logger redaction', () => {
  it('never writes credentials carried in headers or bodies', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream);
    log.info({
      req: { headers: { authorization: 'Bearer eyJhbGciOi.secret', cookie: '__Host-q2=abc' } },
      body: { password: 'hunter2hunter2', refreshToken: 'r-123', email: 'a@b.c' },
    }, 'request');
    const out = lines.join('');
    expect(out).not.toContain('eyJhbGciOi');
    expect(out).not.toContain('hunter2hunter2');
    expect(out).not.toContain('r-123');
    expect(out).not.toContain('__Host-q2=abc');
    expect(out).toContain('[redacted]');
  });
});
