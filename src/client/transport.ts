/**
 * How the SDK moves bytes: one request in, status, headers and body out. The default is Node's
 * https (or http for a plain-HTTP base URL) with a keep-alive agent; tests and embedders may
 * pass their own (e.g. Fastify's `inject`). A transport never retries: the client decides.
 */
import http from 'node:http';
import https from 'node:https';

export interface TransportRequest {
  method: string;
  url: URL;
  /** Lowercase names. */
  headers: Record<string, string>;
  body: Buffer | null;
  timeoutMs: number;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type Transport = ((request: TransportRequest) => Promise<TransportResponse>) & { close?(): void };

/** A network-level failure (refused, reset, timed out): the request may or may not have arrived. */
export class TransportError extends Error {
  readonly code: string;
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
    this.code = code;
  }
}

export interface NodeTransportOptions {
  /** PEM CA bundle to trust (e.g. a self-signed development certificate). */
  ca?: string;
  /** Default true; false only for local development against an unpinned self-signed certificate. */
  rejectUnauthorized?: boolean;
  /** Sockets kept open per host; default 32. */
  maxSockets?: number;
}

export function nodeTransport(options: NodeTransportOptions = {}): Transport {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 32 };
  const httpsAgent = new https.Agent({
    ...agentOptions, minVersion: 'TLSv1.2', rejectUnauthorized: options.rejectUnauthorized ?? true,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  });
  const httpAgent = new http.Agent(agentOptions);

  const send: Transport = (request) => new Promise((resolve, reject) => {
    const secure = request.url.protocol === 'https:';
    const client = secure ? https : http;
    const req = client.request(request.url, {
      method: request.method, headers: request.headers, agent: secure ? httpsAgent : httpAgent, timeout: request.timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (error: NodeJS.ErrnoException) => reject(new TransportError(error.message, error.code ?? 'ERESPONSE', { cause: error })));
    });
    req.on('timeout', () => req.destroy(new TransportError(`no answer within ${request.timeoutMs} ms`, 'ETIMEDOUT')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      reject(error instanceof TransportError ? error : new TransportError(error.message, error.code ?? 'EREQUEST', { cause: error }));
    });
    req.end(request.body ?? undefined);
  });
  send.close = () => {
    httpsAgent.destroy();
    httpAgent.destroy();
  };
  return send;
}
