/**
 * Keeps the request content bytes exactly as received when the client declared an RFC 9530
 * `Content-Digest` over them, as `request.rawBody`: the digest (and an RFC 9421 signature
 * covering it) is over those bytes, not over whatever JSON.parse makes of them. Requests without
 * the header pay nothing. The bytes are bounded by the route's body limit like any body.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The received content bytes, kept only when the request carries `Content-Digest`; else null. */
    rawBody: Buffer | null;
  }
}

export function registerRawBody(app: FastifyInstance): void {
  app.decorateRequest('rawBody', null);
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.headers['content-digest'] === undefined) return payload;
    const chunks: Buffer[] = [];
    let received = 0;
    const tap: Transform & { receivedEncodedLength?: number } = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        chunks.push(chunk);
        received += chunk.length;
        // Fastify compares this with Content-Length once the stream ends.
        tap.receivedEncodedLength = received;
        callback(null, chunk);
      },
      flush(callback: TransformCallback) {
        request.rawBody = Buffer.concat(chunks, received);
        callback();
      },
    });
    payload.once('error', (error) => tap.destroy(error));
    return payload.pipe(tap);
  });
}
